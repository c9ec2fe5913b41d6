@acceptance
Feature: Encryption at rest
  As the security reviewer
  I want every table encrypted with the KMS key the environment calls for
  So that PROD data is under a key the organisation controls and rotates

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @encryption
  Scenario Outline: Every table is encrypted with the environment's KMS key
    Then every <environment> table is encrypted at rest with the environment's KMS key
    And that key is enabled and <key kind>

    Examples:
      | environment | key kind         |
      | dev         | aws-managed      |
      | sit         | aws-managed      |
      | prod        | customer-managed |
