@acceptance
Feature: Tables
  As the DBA who owns the contract
  I want every table of the environment to exist exactly as the contract defines it
  So that campaigns_lambda, order_lambda, product_lambda and the tenant services find their tables

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @tables_created
  Scenario: All five tables are created and ACTIVE under the contract's names
    Then every table of the contract exists under its contracted name and is ACTIVE

  @key_schema
  Scenario: Every table is keyed by the LLD's partition and sort key patterns
    Then every table is keyed as the LLD specifies

  @on_demand
  Scenario: On-demand capacity mode is confirmed for every table
    Then every table is billed on demand

  @ttl
  Scenario: No table expires items automatically
    Then no table expires items by TTL

  @tables_created
  Scenario: No other table carries a contract table's name in the regions the contract uses
    Then no table outside the contract carries the name of a contract table, with or without a suffix

  @replicas
  Scenario: Every DR replica is configured as the contract states
    Then every DR replica has the contract's capacity mode, protection, stream, key, TTL and tags
