@acceptance
Feature: Tagging
  As the FinOps lead
  I want every table to carry the LLD's seven tags
  So that cost, ownership and backup policy can be read off any resource

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @tags
  Scenario: Every table carries the required tags with their values
    Then every table carries the seven required tags with the contract's values

  @tags
  Scenario: The backup vaults, the backup plan and the customer-managed keys carry the required tags
    Then the backup vaults, the backup plan and the customer-managed keys carry the seven required tags
