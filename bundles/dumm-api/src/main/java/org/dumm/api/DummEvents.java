package org.dumm.api;

/**
 * EventAdmin topics and property names Dumm posts so that a UI or a cluster layer can follow the
 * mesh without polling. Every event carries {@link #NAME}; guest events also {@link #STATE}.
 */
public final class DummEvents {
    private DummEvents() {
    }

    public static final String GUEST_CREATED = "org/dumm/guest/CREATED";
    public static final String GUEST_STATE = "org/dumm/guest/STATE";
    public static final String GUEST_DELETED = "org/dumm/guest/DELETED";
    public static final String BRIDGE_CREATED = "org/dumm/bridge/CREATED";
    public static final String BRIDGE_DELETED = "org/dumm/bridge/DELETED";
    public static final String IFACE_ADDED = "org/dumm/iface/ADDED";
    public static final String IFACE_REMOVED = "org/dumm/iface/REMOVED";
    public static final String IFACE_CONNECTED = "org/dumm/iface/CONNECTED";
    public static final String IFACE_DISCONNECTED = "org/dumm/iface/DISCONNECTED";
    /** An interface's carrier or impairment changed. */
    public static final String IFACE_LINK = "org/dumm/iface/LINK";
    public static final String TEMPLATE_LOADED = "org/dumm/template/LOADED";
    public static final String TEMPLATE_UNLOADED = "org/dumm/template/UNLOADED";

    /** Name of the guest, bridge or template. */
    public static final String NAME = "name";
    /** New {@link GuestState} name, on guest events. */
    public static final String STATE = "state";
    /** Interface name inside the guest, on iface events. */
    public static final String IFACE = "iface";
    /** Bridge name, on iface connect/disconnect. */
    public static final String BRIDGE = "bridge";
}
