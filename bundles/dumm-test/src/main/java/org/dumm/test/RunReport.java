package org.dumm.test;

import java.util.List;

/** What a run produced, in run order. */
public record RunReport(List<ScenarioResult> results) {
    public RunReport {
        results = List.copyOf(results);
    }

    public long passed() {
        return results.stream().filter(ScenarioResult::passed).count();
    }

    public long failed() {
        return results.size() - passed();
    }
}
