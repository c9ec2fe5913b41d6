@acceptance
Feature: Cross-region replication
  As the SRE who owns disaster recovery
  I want every PROD table to be a global table with an ACTIVE replica in the DR region
  So that a failover from af-south-1 to eu-west-1 finds every table there

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @replicas
  Scenario Outline: Every table is replicated to the DR region, and only PROD is
    Then every <environment> table is replicated to exactly these DR regions: <replica regions>, and each replica is ACTIVE

    Examples:
      | environment | replica regions |
      | dev         | none            |
      | sit         | none            |
      | prod        | eu-west-1       |

  @replication @writes @replication_lag
  Scenario Outline: Changes reach the DR region within the lag limit
    When canary items are written in the primary region and polled in each replica region
    Then the <environment> replication lag p99 to <replica regions> is under <lag p99 seconds> seconds

    Examples:
      | environment | replica regions | lag p99 seconds |
      | dev         | none            | n/a             |
      | sit         | none            | n/a             |
      | prod        | eu-west-1       | 1               |
