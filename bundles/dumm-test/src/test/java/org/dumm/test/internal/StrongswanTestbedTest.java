package org.dumm.test.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.Test;

/** testing.conf and hosts/ of a strongSwan tree read by the testbed recipe (no guests). */
public class StrongswanTestbedTest {

    @Test
    public void readsHostsAndAddressesOfTestingConf() throws Exception {
        Path t = Files.createTempDirectory("dmt-sw");
        Files.createDirectories(t.resolve("hosts/default/etc"));
        Files.createDirectories(t.resolve("hosts/moon/etc/network"));
        Files.writeString(t.resolve("testing.conf"), """
                : ${ENABLE_BUILD_GUESTIMAGES=yes}
                : ${HOSTNAMEIPV4="\\
                alice,10.1.0.10,192.168.0.50 \\
                moon,192.168.0.1,10.1.0.1 \\
                bob,10.2.0.10"}

                : ${HOSTNAMEIPV6="\\
                alice,fec1::10,fec0::5 \\
                moon,fec0::1,fec1::1"}
                """);
        Files.writeString(t.resolve("hosts/moon/etc/network/interfaces"),
                "auto eth0\niface eth0 inet static\n\taddress 192.168.0.1\n\tgateway 192.168.0.254\n");
        StrongswanTestbed bed = StrongswanTestbed.of(t);
        assertEquals(List.of("alice", "moon", "bob"), List.copyOf(bed.hosts().keySet()));
        assertEquals(List.of("192.168.0.1", "10.1.0.1"), bed.hosts().get("moon").ipv4());
        assertEquals(List.of("fec1::10", "fec0::5"), bed.hosts().get("alice").ipv6());
        assertEquals(List.of(), bed.hosts().get("bob").ipv6());
        assertEquals("internet", StrongswanTestbed.segment("192.168.0.50"));
        assertEquals("net-moon", StrongswanTestbed.segment("10.1.0.10"));
        assertEquals("net-sun", StrongswanTestbed.segment("fec2::10"));
        assertNull(StrongswanTestbed.segment("10.3.0.1"));
        assertEquals("192.168.0.254", bed.gateway("moon"));
        assertNull(bed.gateway("bob"));
        Files.delete(t.resolve("testing.conf"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StrongswanTestbed.of(t));
        assertTrue(e.getMessage(), e.getMessage().startsWith("no testing.conf in "));
    }

    @Test
    public void readsTheSharedTree() throws Exception {
        Path shared = Path.of("/work/shared/strongswan-testing");
        org.junit.Assume.assumeTrue(Files.isRegularFile(shared.resolve("testing.conf")));
        StrongswanTestbed bed = StrongswanTestbed.of(shared);
        assertEquals(List.of("alice", "venus", "moon", "carol", "winnetou", "dave", "sun", "bob"),
                List.copyOf(bed.hosts().keySet()));
        assertEquals(List.of("192.168.0.2", "10.2.0.1"), bed.hosts().get("sun").ipv4());
        assertEquals(List.of("fec0::20", "fec3::2"), bed.hosts().get("dave").ipv6());
        assertEquals("10.1.0.1", bed.gateway("alice"));
    }
}
