@acceptance
Feature: Restore drills
  As the DBA responsible for backup and restore
  I want every table restored from PITR and from a backup, timed and compared with the contract's RTO and RPO
  So that "PITR tested, restore validated" is a measurement, not a checkbox

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @restore @writes @restore_drill
  Scenario Outline: A point-in-time restore meets the RTO and the PITR RPO
    When each table is restored as of a point after a seeded sample into a drill table
    Then each restored <environment> table is ACTIVE within the RTO of <rto minutes> minutes with the sample whole and nothing written after the point, with the RPO within <pitr rpo minutes> minutes, and is deleted afterwards

    Examples:
      | environment | rto minutes | pitr rpo minutes |
      | dev         | 60          | 5                |
      | sit         | 60          | 5                |
      | prod        | 60          | 5                |

  @restore @writes @restore_drill
  Scenario Outline: A restore from an on-demand backup meets the RTO
    When each table is backed up on demand after a seeded sample and restored from that backup into a drill table
    Then each restored <environment> table is ACTIVE within the RTO of <rto minutes> minutes with the sample whole and nothing written after the backup, and is deleted afterwards

    Examples:
      | environment | rto minutes |
      | dev         | 60          |
      | sit         | 60          |
      | prod        | 60          |

  @backup_rpo
  Scenario Outline: The newest hourly recovery point is within the backup RPO
    When the newest recovery point of each table is read in every backup vault the contract requires
    Then each is younger than the <environment> backup RPO of <backup rpo minutes> minutes, with any failed backup job named

    Examples:
      | environment | backup rpo minutes |
      | dev         | 60                 |
      | sit         | 60                 |
      | prod        | 60                 |
