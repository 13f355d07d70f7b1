package org.dumm.lab;

/**
 * One step of a plan: what it does ({@link Kind}), to which device, link ({@code DEV:INDEX}),
 * segment or template, the value it sets or removes when there is one (an address, a template's
 * name), and a line for people (e.g. {@code pc1 eth0 A -> B}).
 */
public record LabChange(Kind kind, String target, String value, String detail) {

    public enum Kind {
        ADD_SEGMENT,
        LOAD_TEMPLATE,
        ADD_DEVICE,
        RESTART_DEVICE,
        ADD_LINK,
        MOVE_LINK,
        ADD_ADDRESS,
        SET_LINK,
        REMOVE_ADDRESS,
        REMOVE_LINK,
        REMOVE_DEVICE,
        REMOVE_SEGMENT,
        UNLOAD_TEMPLATE
    }

    public LabChange(Kind kind, String target, String detail) {
        this(kind, target, null, detail);
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase().replace('_', '-') + " " + detail;
    }
}
