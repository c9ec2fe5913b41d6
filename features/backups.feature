@acceptance
Feature: Hourly backups
  As the DBA responsible for backup and restore
  I want an encrypted vault, an hourly plan with the environment's retention and every table selected
  So that a restore point is never more than an hour old, in the DR region too for PROD

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @backup_vault
  Scenario: The backup vault exists and is encrypted
    Then the backup vault exists and is encrypted with KMS

  @backup_plan
  Scenario Outline: The backup plan runs hourly
    Then the <environment> backup plan runs on <schedule>, every hour, into that vault

    Examples:
      | environment | schedule          |
      | dev         | cron(0 * * * ? *) |
      | sit         | cron(0 * * * ? *) |
      | prod        | cron(0 * * * ? *) |

  @backup_plan
  Scenario Outline: Backups are kept for the environment's retention period
    Then every <environment> backup is kept for <retention days> days

    Examples:
      | environment | retention days |
      | dev         | 7              |
      | sit         | 14             |
      | prod        | 90             |

  @backup_copy
  Scenario Outline: PROD backups are copied across regions
    Then <environment> backups are copied to the DR region <copy region> and kept there <copy retention days> days, exactly where the contract requires it

    Examples:
      | environment | copy region | copy retention days |
      | dev         | none        | n/a                 |
      | sit         | none        | n/a                 |
      | prod        | eu-west-1   | 90                  |

  @backup_selection
  Scenario: The backup plan is applied to every table
    Then the backup selection covers every table

  @backup_plan
  Scenario: The backup plan has no rule the contract does not have
    Then the backup plan has exactly the contract's rule

  @backup_plan
  Scenario Outline: No backup job failed within the retention window
    Then no <environment> backup job failed, aborted or expired within the retention window of <retention days> days

    Examples:
      | environment | retention days |
      | dev         | 7              |
      | sit         | 14             |
      | prod        | 90             |
