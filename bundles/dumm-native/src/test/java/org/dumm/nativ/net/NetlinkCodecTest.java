package org.dumm.nativ.net;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.dumm.api.DummException;
import org.junit.Test;

/** Message layout and name/MAC checks, without the kernel. */
public class NetlinkCodecTest {

    @Test
    public void linkMessageLayoutMatchesTheKernelStructs() {
        byte[] b = LinkRequest.named("br0").up(true).group(7).alias("dumm:x")
                .kind("bridge").data(Netlink.IFLA_BR_STP_STATE, 1)
                .toMessage(Netlink.NLM_F_CREATE).encode(42, Netlink.NLM_F_REQUEST);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        assertEquals(b.length, buf.getInt(0));
        assertEquals(0, b.length % 4);
        assertEquals(Netlink.RTM_NEWLINK, buf.getShort(4));
        assertEquals(Netlink.NLM_F_CREATE | Netlink.NLM_F_REQUEST, buf.getShort(6));
        assertEquals(42, buf.getInt(8));
        // ifinfomsg: index 0, flags IFF_UP, change IFF_UP
        assertEquals(0, buf.getInt(16 + 4));
        assertEquals(Netlink.IFF_UP, buf.getInt(16 + 8));
        assertEquals(Netlink.IFF_UP, buf.getInt(16 + 12));
        // "br0" + NUL = 4 bytes of payload, attribute length 8
        assertEquals(8, buf.getShort(32));
        assertEquals(Netlink.IFLA_IFNAME, buf.getShort(34));

        NlAttrs a = NlAttrs.parse(buf, 32, b.length);
        assertEquals("br0", a.string(Netlink.IFLA_IFNAME));
        assertEquals(7, a.u32(Netlink.IFLA_GROUP, -1));
        assertEquals("dumm:x", a.string(Netlink.IFLA_IFALIAS));
        NlAttrs info = a.nested(Netlink.IFLA_LINKINFO);
        assertEquals("bridge", info.string(Netlink.IFLA_INFO_KIND));
        assertEquals(1, info.nested(Netlink.IFLA_INFO_DATA).u32(Netlink.IFLA_BR_STP_STATE, -1));
        assertFalse(a.has(Netlink.IFLA_MASTER));
        assertNull(a.string(Netlink.IFLA_MASTER));
    }

    @Test
    public void unclosedNestIsRejected() {
        NlMessage m = new NlMessage(Netlink.RTM_NEWLINK, 0).begin(Netlink.IFLA_LINKINFO);
        try {
            m.encode(1, 0);
            fail("encoded an unclosed nest");
        } catch (IllegalStateException expected) {
            // the length of the open attribute would be wrong
        }
    }

    @Test
    public void interfaceNamesAreCheckedWithReadableMessages() {
        assertEquals("alice-eth0", IfNames.check("TAP", "alice-eth0"));
        assertEquals("dmqabcdefghijkl", IfNames.check("TAP", "dmqabcdefghijkl"));
        expectInvalid("", "TAP name is empty");
        expectInvalid(null, "TAP name is empty");
        expectInvalid("dmqabcdefghijklm", "TAP name 'dmqabcdefghijklm' is 16 bytes, Linux allows 15");
        expectInvalid("dmq/a", "must not contain '/'");
        expectInvalid("dmq:a", "must not contain ':'");
        expectInvalid("dmq a", "must not contain white space");
        expectInvalid("dmq\ta", "must not contain white space");
        expectInvalid("..", "reserved");
        expectInvalid("Dmq", "is invalid");
        expectInvalid("dmq\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", "is 17 bytes, Linux allows 15");
    }

    @Test
    public void macAddressesParseAndFormat() {
        assertArrayEquals(new byte[] {0x52, 0x54, 0, 0x12, 0x34, (byte) 0xab}, MacAddress.parse("52:54:00:12:34:AB"));
        assertEquals("52:54:00:12:34:ab", MacAddress.format(MacAddress.parse("52:54:00:12:34:AB")));
        for (String bad : new String[] {"52:54:00:12:34", "52-54-00-12-34-56", "zz:54:00:12:34:56", "01:00:5e:00:00:01",
                "00:00:00:00:00:00", ""}) {
            try {
                MacAddress.parse(bad);
                fail("accepted MAC " + bad);
            } catch (DummException e) {
                assertEquals(DummException.Reason.INVALID_ARGUMENT, e.reason());
                assertTrue(e.getMessage(), e.getMessage().startsWith("MAC address"));
            }
        }
    }

    @Test
    public void markerNeedsAliasPrefixAndGroup() {
        DeviceMarker m = new DeviceMarker("dmqtest:", 500);
        Link owned = new Link(5, "x", 0, 500, "dmqtest:alice:eth0", 0, "tun", Tun.IFF_TAP, null, -1, -1);
        assertTrue(m.owns(owned));
        assertEquals("alice:eth0", m.owner(owned).orElseThrow());
        assertTrue(m.owns(new Link(5, "x", 0, 501, "dmqtest:", 0, "tun", Tun.IFF_TAP, null, -1, -1)));
        assertFalse(m.owns(new Link(5, "x", 0, 0, "dmqtest:alice", 0, "tun", Tun.IFF_TAP, null, -1, -1)));
        assertFalse(m.owns(new Link(5, "x", 0, 500, "other", 0, "tun", Tun.IFF_TAP, null, -1, -1)));
        assertFalse(m.owns(new Link(5, "x", 0, 500, null, 0, "tun", Tun.IFF_TAP, null, -1, -1)));
        assertTrue(m.owner(new Link(5, "x", 0, 500, null, 0, null, 0, null, -1, -1)).isEmpty());
        try {
            m.alias("x".repeat(250));
            fail("accepted an alias over 255 bytes");
        } catch (IllegalArgumentException expected) {
            // the kernel would refuse it with EINVAL
        }
    }

    private static void expectInvalid(String name, String messagePart) {
        try {
            IfNames.check("TAP", name);
            fail("accepted name " + name);
        } catch (DummException e) {
            assertEquals(DummException.Reason.INVALID_ARGUMENT, e.reason());
            assertTrue(e.getMessage(), e.getMessage().contains(messagePart));
        }
    }
}
