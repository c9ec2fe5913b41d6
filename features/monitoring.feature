@acceptance
Feature: Monitoring and alerts
  As the DevOps engineer on call
  I want the promotion plan's alarms, wired to the right SNS topics, and a dashboard for every table
  So that errors, throttling, replication lag, failed backups and cost spikes reach someone

  Background:
    Given the contract of the environment under test
    And the account as the target shows it

  @alarms
  Scenario Outline: Every alarm of the Monitoring & Alerts table has its threshold
    Then every <environment> alarm of the plan exists with its metric, threshold and period: user errors above <user errors> a minute, system errors above <system errors> a minute, read throttles above <read throttles>, write throttles above <write throttles>, backup failures above <backup failures>, replication lag above <lag alarm seconds> seconds

    Examples:
      | environment | user errors | system errors | read throttles | write throttles | backup failures | lag alarm seconds |
      | dev         | 10          | 1             | 0              | 0               | 0               | n/a               |
      | sit         | 10          | 1             | 0              | 0               | 0               | n/a               |
      | prod        | 10          | 1             | 0              | 0               | 0               | 5                 |

  @alarms
  Scenario: Every alarm notifies its team, and only its team
    Then every alarm notifies its SNS topic

  @alarms
  Scenario: Every alert topic reaches someone
    Then every alert topic reaches a confirmed subscriber

  @alarms
  Scenario: No alarm of the plan is firing after the deploy
    Then no alarm of the plan is in ALARM

  @alarms
  Scenario: Alarms and alert topics carry the required tags
    Then every alarm and every alert topic carries the required tags with the contract's values

  @dashboard
  Scenario: The monitoring dashboard is configured
    Then the dashboard shows every widget the plan lists, for every table

  @cost_anomaly
  Scenario Outline: A cost anomaly alerts FinOps
    Then a cost increase above <cost increase percent>% in <environment> alerts FinOps

    Examples:
      | environment | cost increase percent |
      | dev         | 20                    |
      | sit         | 20                    |
      | prod        | 20                    |
