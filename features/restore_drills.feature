@acceptance
Feature: Restore drills
  As the DBA responsible for backup and restore
  I want every table restored from PITR and from a backup, timed and compared with the contract's RTO and RPO
  So that "PITR tested, restore validated" is a measurement, not a checkbox

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @restore @writes @restore_drill
  Scenario: A point-in-time restore meets the RTO and the PITR RPO
    When each table is restored to its latest restorable time into a drill table
    Then each restored table is ACTIVE with the marker item readable within the RTO, with the RPO within target, and is deleted afterwards

  @restore @writes @restore_drill
  Scenario: A restore from an on-demand backup meets the RTO
    When each table is backed up on demand and restored from that backup into a drill table
    Then each restored table is ACTIVE with the marker item readable within the RTO, and is deleted afterwards

  @restore @backup_rpo
  Scenario: The newest hourly recovery point is within the backup RPO
    When the newest recovery point of the backup vault is read
    Then it is younger than the backup RPO of the environment
