/**
 * The verifier's Perl helper: what POSIX `sh` and the tools of the upstream Litestream image
 * cannot do. That image is Debian bookworm-slim with `ca-certificates` and `sqlite3`: it has
 * `perl-base` (Essential: `IO::Socket::UNIX`, `IO::Socket::INET`, no TLS), `openssl` (a
 * dependency of `ca-certificates`), and no curl, wget or Python. So:
 *
 * - `txid SOCKET DB`: asks the sidecar's control socket (`GET /txid?path=DB`, Litestream
 *   server.go) for the database's local position, and prints it as a decimal TXID. The
 *   `litestream` CLI has no command for it (`list` gives only the last sync time).
 * - `target URL`: prints `scheme host port` of an http(s) URL, for the transport.
 * - `heartbeat RESULT URL BODY_FILE DURATION_MS`: prints the HTTP/1.1 request that reports a
 *   drill (RESULT `ok` or `fail`) to a push monitor. Healthchecks.io's convention (also Better
 *   Stack's): a POST to the URL on success and to `<url>/fail` on failure (before any query),
 *   the outcome as the body, which Healthchecks.io keeps as the ping's log (its first 100 kB).
 *   An Uptime Kuma push URL (`/api/push/<token>`, whose `/fail` would be a 404) gets a GET
 *   with Kuma's own query instead: `status=up|down`, `msg` (the body's first line) and `ping`
 *   (the drill's duration in ms), replacing the query the URL came with.
 * - `send HOST PORT`: plain-HTTP transport: writes stdin to the server and prints the answer.
 *   HTTPS goes through `openssl s_client` in the script.
 * - `metrics PORT FILE`: serves FILE at `GET /metrics` on PORT (all IPv4 addresses), one
 *   request at a time: Prometheus scrapes seldom, and the file is small.
 *
 * Written with `String.raw`, so the Perl reads as Perl; it holds no `${`, which a template
 * would interpolate.
 */
export const VERIFY_HELPER = String.raw`#!/usr/bin/perl
# Helper of litestream-backup's restore drills: control socket, push monitor, metrics.
use strict;
use warnings;
use IO::Socket::UNIX;
use IO::Socket::INET;

my $crlf = "\r\n";
my $cmd = shift @ARGV // '';

sub enc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9._~\/-])/sprintf("%%%02X", ord($1))/ge;
    return $s;
}

sub parse_url {
    my ($url) = @_;
    $url =~ m{^(https?)://([^/?#:]+)(?::([0-9]+))?([^#]*)} or die "not an http(s) URL\n";
    my ($scheme, $host, $port, $rest) = ($1, $2, $3, $4);
    $port = $scheme eq 'https' ? 443 : 80 unless defined $port;
    $rest = '/' . $rest if $rest eq '' || substr($rest, 0, 1) ne '/';
    my ($path, $query) = $rest =~ m{^([^?]*)(?:\?(.*))?$};
    return ($scheme, $host, $port, $path, $query);
}

if ($cmd eq 'txid') {
    my ($socket, $db) = @ARGV;
    my $s = IO::Socket::UNIX->new(Peer => $socket)
        or die "cannot connect to the control socket $socket: $!\n";
    print $s "GET /txid?path=" . enc($db) . " HTTP/1.0" . $crlf . "Host: litestream" . $crlf . $crlf;
    local $/;
    my $answer = <$s> // '';
    my ($status) = $answer =~ m{^HTTP/[0-9.]+ ([0-9]+)};
    my ($body) = $answer =~ m{\r\n\r\n(.*)}s;
    $body //= '';
    $body =~ s/\s+$//;
    die "the sidecar answered " . ($status // 'nothing') . ": $body\n" unless ($status // 0) == 200;
    my ($txid) = $body =~ /"txid"\s*:\s*([0-9]+)/ or die "no txid in the sidecar's answer: $body\n";
    print "$txid\n";
} elsif ($cmd eq 'target') {
    my ($scheme, $host, $port) = parse_url($ARGV[0]);
    print "$scheme $host $port\n";
} elsif ($cmd eq 'heartbeat') {
    my ($result, $url, $file, $ms) = @ARGV;
    my ($scheme, $host, $port, $path, $query) = parse_url($url);
    open(my $fh, '<', $file) or die "cannot read $file: $!\n";
    my $body = do { local $/; <$fh> } // '';
    close $fh;
    $body = substr($body, 0, 100000);
    my $hostport = ($port == 80 && $scheme eq 'http') || ($port == 443 && $scheme eq 'https')
        ? $host : "$host:$port";
    my $head;
    if ($path =~ m{/api/push/[^/]+/?$}) {
        my ($first) = split /\n/, $body;
        $first = substr($first // '', 0, 250);
        my $status = $result eq 'ok' ? 'up' : 'down';
        $head = "GET $path?status=$status&msg=" . enc($first) . "&ping=" . int($ms) . " HTTP/1.1";
        $body = '';
    } else {
        $path =~ s{/$}{};
        $path .= '/fail' if $result ne 'ok';
        $head = "POST $path" . (defined $query && $query ne '' ? "?$query" : '') . " HTTP/1.1";
    }
    print $head . $crlf
        . "Host: $hostport" . $crlf
        . "User-Agent: litestream-backup-verify" . $crlf
        . "Content-Type: text/plain; charset=utf-8" . $crlf
        . "Content-Length: " . length($body) . $crlf
        . "Connection: close" . $crlf . $crlf
        . $body;
} elsif ($cmd eq 'send') {
    my ($host, $port) = @ARGV;
    my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp', Timeout => 10)
        or die "cannot connect to $host:$port: $!\n";
    binmode STDIN;
    my $request = do { local $/; <STDIN> } // '';
    print $s $request;
    local $/;
    my $answer = <$s> // '';
    print $answer;
} elsif ($cmd eq 'metrics') {
    my ($port, $file) = @ARGV;
    my $server = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => $port, Listen => 16, ReuseAddr => 1, Proto => 'tcp')
        or die "cannot listen on port $port: $!\n";
    $SIG{PIPE} = 'IGNORE';
    while (1) {
        my $c = $server->accept or next;
        eval {
            local $SIG{ALRM} = sub { die "timeout\n" };
            alarm 5;
            my $line = <$c> // '';
            while (my $h = <$c>) { last if $h =~ /^\r?\n$/ }
            alarm 0;
            if ($line =~ m{^(GET|HEAD) /metrics(?:[ ?])}) {
                my $text = '';
                if (open(my $fh, '<', $file)) { local $/; $text = <$fh> // ''; close $fh }
                print $c "HTTP/1.0 200 OK" . $crlf
                    . "Content-Type: text/plain; version=0.0.4; charset=utf-8" . $crlf
                    . "Content-Length: " . length($text) . $crlf . $crlf
                    . ($1 eq 'GET' ? $text : '');
            } else {
                print $c "HTTP/1.0 404 Not Found" . $crlf . "Content-Length: 0" . $crlf . $crlf;
            }
        };
        alarm 0;
        close $c;
    }
} else {
    die "usage: $0 txid SOCKET DB | target URL | heartbeat RESULT URL FILE MS | send HOST PORT | metrics PORT FILE\n";
}
`;
