@acceptance
Feature: Change data capture
  As the auditor of tenant, order and campaign changes
  I want every table to stream the new and the old image of every change
  So that the audit trail shows what changed, not only that something did

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @streams
  Scenario: Streams are enabled with new and old images on every table
    Then every table streams both the new and the old image of each change
