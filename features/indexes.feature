@acceptance
Feature: Global secondary indexes
  As a backend developer of the Lambda services
  I want every access pattern's index to be present, ACTIVE and shaped as the contract says
  So that no query falls back to a scan and no stray index costs money

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @gsis_active
  Scenario: All contracted GSIs are ACTIVE
    Then every index of the contract is ACTIVE

  @gsis_active
  Scenario: Every GSI has the contract's keys and projection
    Then every index has the contract's keys and projection

  @gsis_active
  Scenario: There is no index the contract does not name
    Then no table has an index the contract does not name
