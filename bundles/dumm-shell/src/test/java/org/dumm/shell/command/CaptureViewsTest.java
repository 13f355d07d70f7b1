package org.dumm.shell.command;

import static org.junit.Assert.assertEquals;

import java.time.Instant;
import java.util.List;

import org.dumm.api.Capture;
import org.junit.Test;

/** guest-info's capture lines: only the guest's own captures, running ones first. */
public class CaptureViewsTest {

    private static Capture capture(String id, String target, boolean running, String end) {
        return new Capture(id, target, "x", running ? "icmp" : null, "/tmp/" + id + ".pcap", 12, 1200, 1,
                Instant.EPOCH, running, end);
    }

    @Test
    public void onlyTheGuestsCapturesRunningFirst() {
        Capture ended = capture("cap1", "alice eth0", false, "count reached");
        Capture bridge = capture("cap2", "bridge alice", true, null);
        Capture other = capture("cap3", "alice2 eth0", true, null);
        Capture running = capture("cap4", "alice eth1", true, null);
        List<Capture> own = Views.capturesOf("alice", List.of(ended, bridge, other, running));
        assertEquals(List.of(running, ended), own);
        assertEquals("cap4 eth1 icmp -> /tmp/cap4.pcap: running, 12 packets, 1 dropped", Views.captureLine(running));
        assertEquals("cap1 eth0 -> /tmp/cap1.pcap: ended (count reached), 12 packets, 1 dropped", Views.captureLine(ended));
    }
}
