@acceptance
Feature: Data access drills
  As a developer of the order, tenant and product services
  I want test items written, read back and found through every access pattern the contract declares
  So that an index that exists but cannot serve its query is found before the services are

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @writes @access_patterns
  Scenario: Every access pattern finds the items written
    When test items generated from each item schema are written to every table
    Then every item reads back by its key, every access pattern finds it, and no sparse index holds an inactive item

  @writes @optimistic_locking
  Scenario: A stale version is rejected and concurrent writers lose nothing
    When concurrent writers update one order with conditional writes on its version
    Then the stale version is rejected and no update is lost

  @writes @transactions
  Scenario: An order and its campaign commit or roll back together
    When an order and its campaign are written in one transaction, and again with a failing condition
    Then the first transaction is committed as a whole and the second leaves nothing behind

  @writes @stream_images
  Scenario: The streams deliver new and old images for every change
    When a test item is inserted, modified and removed in every table
    Then each stream delivers the insert with the new image, the change with both images and the removal with the old image
