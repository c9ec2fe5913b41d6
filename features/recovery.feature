@acceptance
Feature: Point-in-time recovery and deletion protection
  As the DBA responsible for backup and restore
  I want every table to be restorable to any second and protected from deletion where it matters
  So that a bad deploy or a bad script never costs customer data

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @pitr_enabled
  Scenario: PITR is enabled on every table
    Then point-in-time recovery is enabled on every table

  @pitr_enabled
  Scenario Outline: The recovery period is the contracted one
    Then every <environment> table can be restored to any second of the last <recovery period days> days

    Examples:
      | environment | recovery period days |
      | dev         | 35                   |
      | sit         | 35                   |
      | prod        | 35                   |

  @deletion_protection
  Scenario Outline: Deletion protection is enabled in PROD only
    Then deletion protection is <deletion protection> on every <environment> table, exactly as the contract requires

    Examples:
      | environment | deletion protection |
      | dev         | off                 |
      | sit         | off                 |
      | prod        | on                  |
