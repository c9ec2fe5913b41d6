@acceptance
Feature: Cross-region replication
  As the SRE who owns disaster recovery
  I want every PROD table to be a global table with an ACTIVE replica in the DR region
  So that a failover from af-south-1 to eu-west-1 finds every table there

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @replicas
  Scenario: Every table is replicated to the DR region, and only PROD is
    Then every table is replicated to exactly the DR regions of the contract, and each replica is ACTIVE

  @replication @writes @replication_lag
  Scenario: Changes reach the DR region within the lag limit
    When canary items are written in the primary region and polled in each replica region
    Then the replication lag p99 is within the contract's limit
