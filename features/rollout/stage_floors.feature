@req_SR_ROLL_003 @req_SR_ROLL_004
Feature: Every stage meets the floor its ASIL demands
  Minimum bake time, devices and inferences per stage grow with the ASIL and come from a
  table that is data. No roll-out plan may go below its floor, and at ASIL C and D two
  release managers, neither of whom started the roll-out, must approve leaving each stage;
  each approval is recorded in the decision log.

  Scenario Outline: A plan below its ASIL floor is refused
    When a plan at ASIL "<asil>" asks for a bake time of <bake> seconds per stage
    Then the plan is refused with code "ROLLOUT_BELOW_ASIL_FLOOR"

    Examples:
      | asil | bake |
      | A    | 30   |
      | B    | 120  |
      | C    | 600  |
      | D    | 900  |

  Scenario Outline: The default plan of each ASIL sits on its floor
    When the default plan at ASIL "<asil>" is built
    Then each stage bakes at least <bake> seconds on at least <devices> devices and <inferences> inferences
    And approval to leave a stage is "<approval>"

    Examples:
      | asil | bake | devices | inferences | approval     |
      | QM   | 0    | 1       | 100        | not required |
      | A    | 60   | 1       | 500        | not required |
      | B    | 300  | 2       | 2000       | not required |
      | C    | 900  | 3       | 10000      | required     |
      | D    | 1800 | 5       | 20000      | required     |

  @asil_c
  Scenario: An ASIL C stage waits for a recorded human approval
    Given a fleet of 20 devices running "aeb@1.0"
    And "aeb@1.1" passes its release gate
    And a roll-out of "aeb@1.1" at ASIL "C" has started
    When the first stage has baked 901 seconds with healthy figures
    Then the roll-out is "awaiting_approval" at stage "5%"
    When "dr.weber" approves the stage
    Then the roll-out is "awaiting_approval" at stage "5%"
    When "m.kern" approves the stage
    Then the roll-out is "running" at stage "25%"
    And the decision log records an "approve" by "dr.weber"
    And the decision log records an "approve" by "m.kern"
