@req_SR_MON_004
Feature: Unusable field data is refused or flagged, never judged
  As a safety auditor
  I want broken field data to be refused with a clear reason, or reported as a data fault
  So that a sensor or pipeline fault is never mistaken for drift and stored history stays intact

  Background:
    Given the deployment "aeb-perception@1.2.0" is monitored against its reference field data
    And 2 windows of field data like the reference are checked

  @asil_C
  Scenario Outline: A window that cannot be judged is refused and nothing stored changes
    When a window <problem> is checked
    Then the window is refused with a message naming "<reason>"
    And nothing stored has changed

    Examples:
      | problem                                   | reason     |
      | with 3 signals instead of 4               | 3 features |
      | with only 10 samples                      | at least   |
      | with an infinite value in the speed signal | speed      |
      | with a few missing values in range         | range      |

  @asil_C
  Scenario: A window with mostly missing values is a data-quality alarm, not drift
    When a window with half of its values missing is checked
    Then the verdict is a data-quality alarm
    And the verdict does not count as a drifting window
