@req_SR_MON_001
Feature: Every drift verdict names the signals that moved
  As a safety auditor
  I want each verdict to rank the input signals by how much they moved
  So that the engineers investigating an alarm start from the right sensor

  Background:
    Given the deployment "aeb-perception@1.2.0" is monitored against its reference field data

  @asil_C
  Scenario Outline: The shifted signal is named first
    When 1 window of field data with the "<signal>" signal shifted is checked
    Then the verdict names "<signal>" as the most moved signal
    And the verdict lists every monitored signal with its score

    Examples:
      | signal      |
      | speed       |
      | yaw_rate    |
      | range       |

  @asil_C
  Scenario: A signal that spreads out is named first
    When 1 window of field data with the "range" signal spread out is checked
    Then the verdict names "range" as the most moved signal

  @asil_C
  Scenario: A change in the mix of road types is named
    When 1 window of field data with more urban road type samples is checked
    Then the verdict names "road_type" as the most moved signal

  @asil_C
  Scenario: Every verdict records each test's score, the weight it carried and whether it fired
    When 1 window of field data with the "speed" signal shifted is checked
    Then the verdict records a score, a firing threshold and a weight for each test
