@req_SG-TRACE-03
Feature: Requirements enter the trace only from well-formed exchange files
  As a safety auditor
  I want a malformed requirements file to be refused as a whole
  So that the trace never holds half an import

  Background:
    Given the requirement set of the emergency braking perception function

  @asil_C
  Scenario Outline: A malformed requirements file is refused and nothing changes
    When the requirements file "<file>" is imported
    Then the import is refused with a message naming "<named>"
    And the requirement set is exactly as it was before

    Examples:
      | file                          | named                        |
      | bad_xml.reqif                 | bad_xml.reqif                |
      | unknown_asil.reqif            | ASIL                         |
      | duplicate_id.reqif            | duplicate                    |
      | dangling_relation.reqif       | dangling_relation.reqif      |

  @asil_C
  Scenario: Importing the same requirements again changes nothing
    When the requirement set of the emergency braking perception function is imported again
    Then no requirement is created or changed
    And the requirement set is exactly as it was before
