package org.dumm.test;

import java.util.List;

/**
 * The verdict on one scenario.
 *
 * @param category   path of the scenario's parent directory relative to the PATH given (e.g. {@code ikev2}), or {@code ""}
 * @param name       the scenario directory's name
 * @param verdict    passed, failed (a check did not hold) or error (the scenario could not be read or run)
 * @param failure    the first failing line ({@code file:line: text}) or error, null when passed
 * @param detail     the output that goes with {@code failure}, or {@code ""}
 * @param millis     wall time of the scenario
 * @param log        the console log: every command echoed with its output and verdict
 * @param description the scenario's description.txt (an HTML fragment), or {@code ""}
 * @param diagram    absolute path of the image DIAGRAM names, when the scenario has it, else null
 */
public record ScenarioResult(String category, String name, Verdict verdict, String failure, String detail,
                             long millis, List<String> log, String description, String diagram) {

    /** How a scenario ended. */
    public enum Verdict { PASSED, FAILED, ERROR }

    public ScenarioResult {
        log = List.copyOf(log);
        detail = detail == null ? "" : detail;
        description = description == null ? "" : description;
    }

    public boolean passed() {
        return verdict == Verdict.PASSED;
    }
}
