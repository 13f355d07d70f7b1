package org.dumm.uml.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.dumm.api.DummException;
import org.dumm.nativ.net.MacAddress;
import org.junit.Test;

/** The hand-written checks on interface names and MACs that run on every hot-plug. */
public class InterfaceChecksTest {

    @Test
    public void interfaceNames() {
        for (String good : new String[] {"e", "eth0", "alice-eth12", "a_b.c-d", "abcdefghijklmno"}) {
            assertTrue(good, UmlBackend.isIfname(good));
        }
        for (String bad : new String[] {null, "", "0eth", "-x", "abcdefghijklmnop", "a/b", "a b", "ä1", "eth0\n"}) {
            assertFalse(String.valueOf(bad), UmlBackend.isIfname(bad));
        }
    }

    @Test
    public void macs() {
        assertTrue(MacAddress.isWellFormed("52:54:00:ab:CD:ef"));
        for (String bad : new String[] {"", "52:54:00:ab:cd", "52:54:00:ab:cd:ef:01", "52-54-00-ab-cd-ef", "52:54:00:ab:cd:eg",
                "525:4:00:ab:cd:ef"}) {
            assertFalse(bad, MacAddress.isWellFormed(bad));
        }
    }

    @Test
    public void deviceNumbersComeFromTheTrailingDigits() {
        assertEquals(0, UmlInterfaces.number("eth0"));
        assertEquals(12, UmlInterfaces.number("lan12"));
        assertEquals(7, UmlInterfaces.number("eth007"));
        assertEquals(9999, UmlInterfaces.number("x9999"));
        for (String bad : new String[] {"eth", "eth12345", "eth1a", "12a"}) {
            assertEquals(bad, DummException.Reason.INVALID_ARGUMENT,
                    assertThrows(DummException.class, () -> UmlInterfaces.number(bad)).reason());
        }
    }
}
