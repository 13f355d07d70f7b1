package org.dumm.test.internal;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.regex.Pattern;

import org.junit.Test;

/** grep BRE semantics, the way GNU grep reads the patterns of evaltest.dat. */
public class BasicRegexTest {

    private static boolean m(String bre, String line) {
        Pattern p = BasicRegex.compile(bre);
        return BasicRegex.matches(p, line);
    }

    @Test
    public void operatorsAndLiterals() {
        assertTrue(m("net-net.*ESTABLISHED", "net-net: #1, ESTABLISHED, IKEv2"));
        assertTrue(m("a(b)", "xa(b)y"));
        assertFalse(m("a(b)", "ab"));
        assertTrue(m("\\(ab\\)\\{2\\}", "abab"));
        assertFalse(m("\\(ab\\)\\{2\\}", "ab"));
        assertTrue(m("a+b", "a+b"));
        assertFalse(m("a+b", "aab"));
        assertTrue(m("a\\+b", "aaab"));
        assertTrue(m("cat\\|dog", "hotdog"));
        assertTrue(m("x|y", "x|y"));
        assertTrue(m("*star", "a *star"));
        assertTrue(m("^IP ", "IP 1 > 2: ESP"));
        assertFalse(m("^IP ", " IP 1"));
        assertTrue(m("a^b$c", "a^b$c"));
        assertTrue(m("ESP$", "x: ESP"));
        assertTrue(m("192.168.0.1 > 192.168.0.2: ESP", "IP 192.168.0.1 > 192.168.0.2: ESP(spi=0x1)"));
        assertTrue(m("\\.", "."));
        assertFalse(m("\\.", "x"));
        assertTrue(m("\\<sun\\>", "to sun now"));
        assertFalse(m("\\<sun\\>", "sunny"));
        assertTrue(m("\\(a\\)\\1", "aa"));
    }

    @Test
    public void bracketExpressions() {
        assertTrue(m("[[:digit:]]\\{1,3\\} packets", "3 packets"));
        assertTrue(m("[]a]", "]"));
        assertTrue(m("[^[:space:]]x", " ax"));
        assertTrue(m("[a\\]", "\\"));
        assertTrue(m("[&&]", "&"));
        assertThrows(IllegalArgumentException.class, () -> BasicRegex.compile("[abc"));
        assertThrows(IllegalArgumentException.class, () -> BasicRegex.compile("[[:nope:]]"));
        assertThrows(IllegalArgumentException.class, () -> BasicRegex.compile("ab\\"));
    }
}
