package org.dumm.lab;

import java.util.List;

/** A lab as Dumm remembers it, with the live state of its guests. */
public record LabInfo(String name, String source, List<Device> devices, List<Segment> segments) {

    public LabInfo {
        devices = List.copyOf(devices);
        segments = List.copyOf(segments);
    }

    /** A device: its guest, the guest's state (or "missing"), master, memory and links. */
    public record Device(String name, String guest, String state, String master, int memoryMb, List<LabLink> links) {
        public Device {
            links = List.copyOf(links);
        }
    }

    /** A collision domain: its host bridge and the device interfaces on it ({@code pc1:eth0}). */
    public record Segment(String cd, String bridge, List<String> members) {
        public Segment {
            members = List.copyOf(members);
        }
    }
}
