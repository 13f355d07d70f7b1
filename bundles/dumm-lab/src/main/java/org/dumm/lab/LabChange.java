package org.dumm.lab;

/**
 * One step of a plan: what it does ({@link Kind}), to which device or segment, and a line for
 * people (e.g. {@code pc1 eth0 A -> B}).
 */
public record LabChange(Kind kind, String target, String detail) {

    public enum Kind {
        ADD_SEGMENT,
        ADD_DEVICE,
        RESTART_DEVICE,
        ADD_LINK,
        MOVE_LINK,
        REMOVE_LINK,
        REMOVE_DEVICE,
        REMOVE_SEGMENT
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase().replace('_', '-') + " " + detail;
    }
}
