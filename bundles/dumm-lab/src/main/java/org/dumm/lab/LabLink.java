package org.dumm.lab;

/**
 * Interface {@code eth<index>} of a device attached to collision domain {@code cd}, with a fixed
 * MAC address or none (null: Dumm picks one).
 */
public record LabLink(int index, String cd, String mac) {

    public String iface() {
        return "eth" + index;
    }
}
