@acceptance
Feature: Template buckets
  As the DevOps lead
  I want the buckets that hold the email templates configured as the LLD specifies
  So that templates are private, encrypted, versioned, audited and, in PROD, recoverable in the DR region

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @bucket_configuration
  Scenario Outline: Every template bucket is private, encrypted, versioned and audited
    Then every <environment> template bucket is in <region>
    And every template bucket keeps the versions of its objects
    And every template bucket has object lock as contracted
    And every template bucket encrypts its objects with S3-managed keys
    And every template bucket blocks all public access
    And no template bucket or its access-log bucket has a public bucket policy
    And every template bucket keeps noncurrent versions for <noncurrent version days> days
    And every template bucket writes its access logs to a separate bucket
    And every access-log bucket is encrypted and blocks all public access
    And every template bucket carries the required tags with the contract's values
    And the account holds no bucket named like a template bucket that the contract does not create

    Examples:
      | environment | region     | noncurrent version days |
      | dev         | eu-west-1  | 90                      |
      | sit         | eu-west-1  | 90                      |
      | prod        | af-south-1 | 90                      |

  @bucket_replication
  Scenario Outline: Only the PROD template bucket replicates, to the DR region
    Then every <environment> template bucket replicates to exactly this DR region: <bucket replica region>

    Examples:
      | environment | bucket replica region |
      | dev         | none                  |
      | sit         | none                  |
      | prod        | eu-west-1             |
