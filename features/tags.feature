@acceptance
Feature: Tagging
  As the FinOps lead
  I want every table to carry the LLD's seven tags
  So that cost, ownership and backup policy can be read off any resource

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @tags
  Scenario Outline: Every table carries the required tags with their values
    Then every <environment> table carries the seven required tags with the contract's values: Environment <Environment tag>, Project <Project tag>, Owner <Owner tag>, CostCenter <CostCenter tag>, ManagedBy <ManagedBy tag>, BackupPolicy <BackupPolicy tag>, Component <Component tag>

    Examples:
      | environment | Environment tag | Project tag        | Owner tag | CostCenter tag | ManagedBy tag | BackupPolicy tag | Component tag |
      | dev         | dev             | BBWS WP Containers | Tebogo    | AWS            | Terraform     | hourly           | dynamodb      |
      | sit         | sit             | BBWS WP Containers | Tebogo    | AWS            | Terraform     | hourly           | dynamodb      |
      | prod        | prod            | BBWS WP Containers | Tebogo    | AWS            | Terraform     | hourly           | dynamodb      |

  @tags
  Scenario: The backup vaults, the backup plan and the customer-managed keys carry the required tags
    Then the backup vaults, the backup plan and the customer-managed keys carry the seven required tags
