@req_SR_ROLL_020 @req_SR_ROLL_026
Feature: A degraded canary comes back out before it spreads
  The canary cohort is compared with a matched baseline cohort, each metric with its own
  statistical test. A significant degradation rolls every device back at once, skipping the
  remaining stages; an operator can abort in any state, effective immediately. Every
  decision records its statistics, thresholds and sample sizes in a hash-chained log.

  Scenario: A canary with three times the error rate is rolled back automatically
    Given a fleet of 20 devices running "aeb@1.0"
    And "aeb@1.1" passes its release gate
    And "aeb@1.1" fails 2 % of its inferences where "aeb@1.0" fails none
    And a roll-out of "aeb@1.1" at ASIL "QM" has started
    When the controller runs the roll-out to its end
    Then the roll-out is "rolled_back"
    And no device runs "aeb@1.1"
    And the rollback decision names the metric "error_rate" with its p-value and sample sizes
    And the decision log verifies

  Scenario: A healthy canary reaches the whole fleet one stage at a time
    Given a fleet of 20 devices running "aeb@1.0"
    And "aeb@1.1" passes its release gate
    And a roll-out of "aeb@1.1" at ASIL "QM" has started
    When the controller runs the roll-out to its end
    Then the roll-out is "completed"
    And every device runs "aeb@1.1"
    And the stages were promoted in the order "5%, 25%, 50%, 100%"

  Scenario Outline: Abort works in any state of a running roll-out
    Given a fleet of 20 devices running "aeb@1.0"
    And "aeb@1.1" passes its release gate
    And a roll-out of "aeb@1.1" at ASIL "C" has started
    And the roll-out has been driven to "<state>"
    When the operator aborts the roll-out
    Then the roll-out is "aborted"
    And no device runs "aeb@1.1"

    Examples:
      | state             |
      | pending           |
      | baking            |
      | awaiting_approval |
