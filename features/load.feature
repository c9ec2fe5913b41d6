@acceptance
Feature: Sustained load
  As the DevOps engineer who signs off SIT's performance week
  I want the contract's write and read rates held for minutes against a real table, with latency measured
  So that throttling or slow queries show up in SIT, not in PROD's first busy hour

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @load @sustained_load
  Scenario: The contract's rates are sustained without throttling
    When the environment's load profile is driven against the orders table
    Then every operation achieves at least 97% of its rate without throttling, with p99 latency within the limit
