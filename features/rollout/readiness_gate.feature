@req_SR_ROLL_010 @asil_c
Feature: A model version reaches no vehicle before it is ready for release
  Before the first device is touched, the roll-out checks that the model version passes the
  traceability gate and that its verification report passes. A version that fails either is
  refused with the reasons, and no device receives a command.

  Scenario: A version with a traceability gap is refused
    Given a fleet of 20 devices running "aeb@1.0"
    And "aeb@1.1" fails its release gate because "requirement SR-7 has no passing verification"
    When the release engineer starts a roll-out of "aeb@1.1" at ASIL "C"
    Then the roll-out is refused with code "RELEASE_NOT_READY"
    And the refusal names "SR-7"
    And no device received a command

  Scenario: A version that passes its release gate is accepted with every stage pending
    Given a fleet of 20 devices running "aeb@1.0"
    And "aeb@1.1" passes its release gate
    When the release engineer starts a roll-out of "aeb@1.1" at ASIL "C"
    Then the roll-out is "running" with stages "5%, 25%, 50%, 100%" all "pending"
