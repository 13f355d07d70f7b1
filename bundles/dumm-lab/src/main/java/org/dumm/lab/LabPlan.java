package org.dumm.lab;

import java.util.List;

/**
 * What an apply does to bring a lab from its remembered state to its source: empty when they
 * agree. {@code warnings} are the reader's (unsupported options, unmapped images).
 */
public record LabPlan(String lab, boolean firstApply, List<LabChange> changes, List<String> warnings) {

    public LabPlan {
        changes = List.copyOf(changes);
        warnings = List.copyOf(warnings);
    }

    public boolean empty() {
        return changes.isEmpty();
    }
}
