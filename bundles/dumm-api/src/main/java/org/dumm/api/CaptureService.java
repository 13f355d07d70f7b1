package org.dumm.api;

import java.time.Duration;
import java.util.List;

/**
 * Packet captures on the host side of Dumm's TAPs and bridges, written as libpcap files
 * (Wireshark and tcpdump read them), read in-process from AF_PACKET sockets. A capture ends at
 * its count or duration, by {@link #stop}, or when its interface goes away (guest or bridge
 * deleted). Only devices of the mesh are captured on.
 */
public interface CaptureService {

    /** Starts a capture; it runs in the background. A bad request fails before anything is opened. */
    Capture start(CaptureRequest request);

    /** Waits until the capture ended or {@code timeout} passed; returns it as it is then. */
    Capture await(String id, Duration timeout) throws InterruptedException;

    /** Stops a running capture (a no-op for one that ended); returns it. */
    Capture stop(String id);

    /** Running captures and those that ended since (the last 50). */
    List<Capture> captures();
}
