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
  Scenario: The backup plan runs hourly
    Then the backup plan runs every hour into that vault

  @backup_plan
  Scenario: Backups are kept for the environment's retention period
    Then every backup is kept for the environment's retention period

  @backup_copy
  Scenario: PROD backups are copied across regions
    Then backups are copied to the DR region exactly where the contract requires it

  @backup_selection
  Scenario: The backup plan is applied to every table
    Then the backup selection covers every table

  @backup_plan
  Scenario: The backup plan has no rule the contract does not have
    Then the backup plan has exactly the contract's rule

  @backup_plan
  Scenario: No backup job failed within the retention window
    Then no backup job failed, aborted or expired within the retention window
