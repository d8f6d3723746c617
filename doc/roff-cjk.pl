#!/usr/bin/perl
# Filter for the roff that scdoc writes: marks a break point (\:) between
# Chinese characters in text lines, since groff 1.22 breaks lines only at
# spaces and Chinese has none (it would warn "can't break line" and run
# past the page width). No break before closing punctuation or after
# opening punctuation (the usual line-start and line-end rules). A text
# line ending in a Chinese character is joined to the next text line (\c)
# when that starts with one too, or after Chinese punctuation, instead of
# the newline becoming a space in the middle of a sentence.
# Hyphenation stays off after .TH. Requests (lines starting with . or ')
# and the NAME section (read by lexgrog, to which \: is a colon) are left
# alone.
use strict;
use warnings;
use utf8;
binmode(STDIN, ':encoding(UTF-8)');
binmode(STDOUT, ':encoding(UTF-8)');
my $wide = qr/[\x{2E80}-\x{9FFF}\x{F900}-\x{FAFF}\x{FE30}-\x{FE4F}\x{FF00}-\x{FF60}]/;
my $no_start = qr/[，。、；：？！）》」』】〉”’．,.;:?!)\]]/;
my $no_end = qr/[（《「『【〈“‘(\[]/;
my @lines = <STDIN>;
my $name = 0; # in the NAME section, which whatis(1) reads as it is
for my $i (0 .. $#lines) {
    my $line = $lines[$i];
    # the man macros' .TH turns hyphenation back on: "ar-chive/ab/cd"
    $lines[$i] .= ".nh\n" if $line =~ /^\.TH /;
    $name = $1 =~ /^"?(名称|NAME)"?$/ if $line =~ /^\.SH\s+(.*?)\s*$/;
    next if $line =~ /^[.']/ || $name;
    # between two characters of which at least one is wide
    $line =~ s/(?<=$wide)(?=[^\s\\])(?!$no_start)(?<!$no_end)|(?<=[^\s\\])(?<!\\.)(?=$wide)(?!$no_start)(?<!$no_end)/\\:/g;
    # and between a wide character and a font change (*a*、*b*、*c* in a list)
    $line =~ s/(?<=$wide)(?<!$no_end)(?=\\f[BIRP])/\\:/g;
    # a newline after Chinese punctuation, or between two Chinese
    # characters, is no space
    my $next = $i < $#lines ? $lines[$i + 1] : '.';
    if ($line =~ /$wide\n\z/ && $next =~ /^[^.'\s]/
        && ($next =~ /^$wide/ || $line =~ /$no_start\n\z/)) {
        my $break = $lines[$i + 1] =~ /^$no_start/ || $line =~ /$no_end\n\z/ ? '' : '\\:';
        $line =~ s/\n\z/$break\\c\n/;
    }
    $lines[$i] = $line;
}
print @lines;
