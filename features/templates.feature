@acceptance
Feature: Email templates
  As the product owner of the customer portal
  I want every email template of the LLD uploaded at its key, as the repository holds it
  So that the Lambdas render the reviewed templates and never a missing or outdated one

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @templates_uploaded
  Scenario: Every template is present at its key with its current content
    Then every email template and its plain-text alternative is at its key with the repository's content
