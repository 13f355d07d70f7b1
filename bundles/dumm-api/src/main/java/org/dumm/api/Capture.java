package org.dumm.api;

import java.time.Instant;

/**
 * A packet capture as {@link CaptureService} reports it.
 *
 * @param id       its handle for capture-stop ({@code cap1}, …)
 * @param target   what it watches: {@code GUEST IFACE} or {@code bridge BRIDGE}
 * @param device   the host device it reads (the TAP or the bridge)
 * @param filter   the filter expression, or null
 * @param file     where the pcap goes
 * @param packets  frames written so far
 * @param bytes    their bytes on the wire
 * @param dropped  frames the kernel dropped because the capture did not keep up (its socket was full)
 * @param started  when it started
 * @param running  false once it ended
 * @param end      why it ended (count reached, duration up, stopped, interface gone, an error), or null
 */
public record Capture(String id, String target, String device, String filter, String file, long packets, long bytes,
                      long dropped, Instant started, boolean running, String end) {
}
