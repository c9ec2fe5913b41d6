@acceptance
Feature: Items in the tables
  As the DBA of the BBWS tables
  I want the items every table holds judged against their entity's schema and the table's indexes
  So that an order with a status outside the enum, or a deleted tenant left in a sparse index, blocks the promotion

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @item_schemas
  Scenario: Items in every table conform to their schema
    When a sample of up to 1000 items is read from every table, in 4 parallel segments
    Then every item belongs to its table's entity and conforms to its item schema
    And every item carries the keys of the indexes its access patterns read, in the indexed type

  @sparse_items
  Scenario: Sparse indexes only hold active items
    When a sample of up to 1000 items is read from every table, in 4 parallel segments
    Then no sparse index holds an inactive item, and every active item carries the sparse key
