Feature: No one records, reviews or releases beyond their role or their independence
  As a safety auditor
  I want every recorded fact to name the authenticated person who recorded it, checked against
  their role and against the independence ISO 26262 asks of reviews and release approvals
  So that a release's evidence was produced, confirmed and approved by different people

  Background:
    Given these people work on the emergency braking function:
      | name      | roles                           | unit                |
      | erik      | engineer                        | perception/ml       |
      | sofia     | engineer, safety-reviewer       | perception/ml       |
      | amira     | safety-reviewer                 | safety/assessment   |
      | lena      | release-manager                 | release/vehicle     |
      | jonas     | release-manager                 | release/vehicle     |
      | paul      | release-manager                 | release/homologation |

  @http
  Scenario Outline: A request from someone who did not identify themselves changes nothing
    Given the requirement set of the emergency braking perception function
    When an anonymous caller asks the service to <change>
    Then the caller is told to identify themselves
    And the trace is exactly as it was before

    Examples:
      | change                                 |
      | record a test report                   |
      | record a review of a requirement's test |
      | import a requirements file             |

  @asil_d @req_SR_TRACE_003
  Scenario: An engineer cannot record an independent review
    Given an ASIL D requirement whose test "erik" recorded as passed
    When "erik" records an independent review of that requirement's test
    Then the review is refused because "erik" lacks the role "safety-reviewer"
    And the requirement's test has no review

  @asil_d @req_SR_TRACE_003
  Scenario: A reviewer cannot independently review a test they recorded themselves
    Given an ASIL D requirement whose test "sofia" recorded as passed
    When "sofia" records an independent review of that requirement's test
    Then the review is refused as a breach of the separation of duties
    And the requirement's test has no review

  @asil_d @req_SR_TRACE_003
  Scenario: A reviewer who recorded nothing on the trace may review it independently
    Given an ASIL D requirement whose test "erik" recorded as passed
    When "amira" records an independent review of that requirement's test
    Then the requirement's test carries an independent review by "amira"

  @asil_d @req_SR_ROLL_004
  Scenario: The release manager who started an ASIL D roll-out cannot approve it
    Given "lena" started a roll-out at ASIL "D" that now awaits approval
    When "lena" approves the stage
    Then the approval is refused as a breach of the separation of duties
    And the roll-out still awaits approval

  @asil_d @req_SR_ROLL_004
  Scenario: Two release managers other than the starter approve an ASIL D stage together
    Given "lena" started a roll-out at ASIL "D" that now awaits approval
    When "jonas" approves the stage
    Then the approval is recorded and one more is needed
    When "jonas" approves the stage
    Then the approval is refused as a breach of the separation of duties
    When "paul" approves the stage
    Then the roll-out moves on to its next stage
    And the decision log names "lena" as the starter and "jonas" and "paul" as the approvers

  Scenario: An edited audit entry is found by the audit check and blocks the release gate
    Given the requirement set of the emergency braking perception function
    And the model version "aeb-perception@1.0.0" is registered
    And the release gate has been evaluated for "aeb-perception@1.0.0"
    When someone edits the actor of an earlier audit entry directly in the database
    Then the audit check reports the edited entry
    And the release gate refuses "aeb-perception@1.0.0" because the audit log was altered
