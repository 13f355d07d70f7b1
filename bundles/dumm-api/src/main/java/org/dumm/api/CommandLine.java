package org.dumm.api;

import java.util.List;

/**
 * How a command given as words becomes the command line a guest's {@code /bin/sh -c} runs, the
 * same for the console, {@code ./dumm client} and REST: one word is a shell command line as it
 * stands ({@code exec alice 'ip a; ip r'}); several words are an argument vector, each word
 * passed as one argument ({@code exec alice sh -c 'echo a; echo b'} runs {@code sh} with the two
 * arguments {@code -c} and {@code echo a; echo b}), as {@code docker exec} and {@code kathara
 * exec} do. Part of the API's contract, like {@link Names}.
 */
public final class CommandLine {

    private CommandLine() {
    }

    /** The command line for {@code words}; INVALID_ARGUMENT when there is none. */
    public static String of(List<String> words) {
        if (words == null || words.isEmpty() || (words.size() == 1 && words.get(0).isBlank())) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT, "no command given");
        }
        if (words.size() == 1) {
            return words.get(0);
        }
        StringBuilder line = new StringBuilder();
        for (String w : words) {
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(quote(w));
        }
        return line.toString();
    }

    /** One word for a POSIX shell: as it is when it holds nothing the shell would act on, else in single quotes. */
    public static String quote(String word) {
        if (!word.isEmpty() && word.chars().allMatch(CommandLine::plain)) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }

    private static boolean plain(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-_./:=,+@%^".indexOf(c) >= 0;
    }
}
