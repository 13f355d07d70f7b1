package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.HashSet;
import java.util.Set;

import org.dumm.api.DummException;
import org.junit.Test;

public class HostNamesTest {

    @Test
    public void shortNamesArePlain() {
        assertEquals("alice-eth0", HostNames.tapName("alice", "eth0", n -> false));
    }

    @Test
    public void longNamesAreShortStableAndDistinct() {
        String a = HostNames.tapName("winnetou-gateway", "eth1", n -> false);
        String b = HostNames.tapName("winnetou-gateway2", "eth1", n -> false);
        assertTrue(a, a.length() <= 15);
        assertTrue(b, b.length() <= 15);
        assertNotEquals(a, b);
        assertEquals(a, HostNames.tapName("winnetou-gateway", "eth1", n -> false));
        assertTrue(a.matches("[a-z][a-z0-9-]+"));
    }

    @Test
    public void takenNamesAreAvoided() {
        Set<String> taken = new HashSet<>();
        taken.add("bob-eth0");
        String n = HostNames.tapName("bob", "eth0", taken::contains);
        assertNotEquals("bob-eth0", n);
        taken.add(n);
        assertNotEquals(n, HostNames.tapName("bob", "eth0", taken::contains));
    }

    @Test
    public void macsAreStableUnicastAndLocal() {
        String mac = HostNames.mac("alice", "eth0");
        assertEquals(mac, HostNames.mac("alice", "eth0"));
        assertNotEquals(mac, HostNames.mac("alice", "eth1"));
        assertEquals(mac, HostNames.checkMac(mac.toUpperCase()));
        // every interface of a guest gets its own; all are 52:54:…, locally administered unicast
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String m = HostNames.mac("alice", "eth" + i);
            assertTrue(m, m.startsWith("52:54:"));
            assertEquals(m, HostNames.checkMac(m));
            assertTrue(m, seen.add(m));
        }
        assertNotEquals(HostNames.mac("alice", "eth1"), HostNames.mac("alicf", "eth1"));
    }

    @Test
    public void badMacsAndIfacesAreRefused() {
        for (String bad : new String[] {"01:00:5e:00:00:01", "00:00:00:00:00:00", "zz:00:00:00:00:01", "1:2:3"}) {
            try {
                HostNames.checkMac(bad);
                fail(bad);
            } catch (DummException e) {
                assertEquals(DummException.Reason.INVALID_ARGUMENT, e.reason());
            }
        }
        for (String good : new String[] {"eth0", "eth9", "eth10", "eth99"}) {
            assertEquals(good, HostNames.checkIface(good));
        }
        for (String bad : new String[] {"eth", "wlan0", "eth100", "eth01", "../x", "", "ETH1", "eth1a", "eth\u0663", null}) {
            try {
                HostNames.checkIface(bad);
                fail(bad);
            } catch (DummException e) {
                assertTrue(e.getMessage().contains("invalid"));
            }
        }
    }
}
