#!/usr/bin/env bash
# Sets up counselor-tui on a Debian bureau server (docs/deploy-bureau-server.md).
#
#   setup-bureau-server.sh install                 service account, folders, ForceCommand
#                                                  wrapper, sshd Match block, backup timer
#   setup-bureau-server.sh add-key NAME KEYFILE    let vault account NAME in with the SSH
#                                                  public key in KEYFILE
#   setup-bureau-server.sh remove-key NAME         remove every SSH key of NAME
#   setup-bureau-server.sh uninstall               remove account, sshd block, wrapper, timer
#                                                  (keeps the data folder unless PURGE=1)
#
# Settings (environment, with the production defaults):
#   ACCOUNT=counselor            the one service account every counselor logs in as
#   DATA=/srv/counselor          vault/, backups/, state/ (failed-attempt ledger), all 0700;
#                                attempts/attempts.log: the append-only failed-attempt
#                                journal (root-owned, chattr +a: the account cannot erase it)
#   APP=/opt/counselor-tui/bin/counselor-tui   the installed program
#   SSHD_DIR=/etc/ssh/sshd_config.d            where the Match block goes
#   BIN_DIR=/usr/local/bin                     where the ForceCommand wrapper goes
#   SYSTEMD_DIR=/etc/systemd/system            backup timer (cron file when no systemd)
#   CRON_DIR=/etc/cron.d
#   RELOAD=1                     reload sshd and enable the timer (0: only write files)
#   BACKUP_USER=backup           vault account the timer backs up as; its passphrase in
#                                /etc/counselor-tui/backup.pass (0400, owned by ACCOUNT)
set -euo pipefail

ACCOUNT="${ACCOUNT:-counselor}"
DATA="${DATA:-/srv/counselor}"
APP="${APP:-/opt/counselor-tui/bin/counselor-tui}"
SSHD_DIR="${SSHD_DIR:-/etc/ssh/sshd_config.d}"
BIN_DIR="${BIN_DIR:-/usr/local/bin}"
SYSTEMD_DIR="${SYSTEMD_DIR:-/etc/systemd/system}"
CRON_DIR="${CRON_DIR:-/etc/cron.d}"
ETC_DIR="${ETC_DIR:-/etc/counselor-tui}"
RELOAD="${RELOAD:-1}"
BACKUP_USER="${BACKUP_USER:-backup}"
WRAPPER="$BIN_DIR/counselor-tui-ssh-$ACCOUNT"
VAULT="$DATA/vault/vault.db"
JOURNAL="$DATA/attempts/attempts.log"
TAG="counselor-tui"

die() { echo "setup-bureau-server: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run as root (it creates an account and writes sshd configuration)"
[[ "$ACCOUNT" =~ ^[a-z_][a-z0-9_-]{0,30}$ ]] || die "bad ACCOUNT name: $ACCOUNT"

home_of() { getent passwd "$ACCOUNT" | cut -d: -f6; }

install_account() {
    if ! getent passwd "$ACCOUNT" >/dev/null; then
        # a system account: no password (SSH keys only), its own group, a home for .ssh
        useradd --system --create-home --home-dir "$DATA/home" --shell /bin/sh \
            --user-group --comment "counselor-tui service account" "$ACCOUNT"
    fi
    # no password at all ('*': nothing can match it) — but not "locked" ('!'), which sshd
    # would take as a disabled account and refuse even with a key when PAM is off
    usermod -p '*' "$ACCOUNT"
    local home; home="$(home_of)"
    install -d -m 0711 -o root -g root "$DATA"
    install -d -m 0700 -o "$ACCOUNT" -g "$ACCOUNT" "$DATA/vault" "$DATA/backups" \
        "$DATA/state" "$home" "$home/.ssh"
    touch "$home/.ssh/authorized_keys"
    chown "$ACCOUNT:$ACCOUNT" "$home/.ssh/authorized_keys"
    chmod 0600 "$home/.ssh/authorized_keys"
    # vault, key slots, witness, lock and backups are created 0600 by the program; make
    # what already exists so too
    find "$DATA/vault" "$DATA/backups" "$DATA/state" -type f -exec chmod 0600 {} +
    find "$DATA/vault" "$DATA/backups" "$DATA/state" -exec chown "$ACCOUNT:$ACCOUNT" {} +
    install_journal
}

install_journal() {
    # The failed-attempt journal (issue 12): the account may read it and append to it, and
    # nothing else. The folder and the file belong to root (no new files, no rename, no
    # delete) and the file is append-only (chattr +a: no truncation, no rewrite; only root
    # can lift the attribute), so deleting the state folder neither lifts the delay nor
    # erases the failures.
    install -d -m 0750 -o root -g "$ACCOUNT" "$DATA/attempts"
    chattr -a "$JOURNAL" 2>/dev/null || true   # mode and owner cannot change while +a
    [ -e "$JOURNAL" ] || install -m 0660 -o root -g "$ACCOUNT" /dev/null "$JOURNAL"
    chown "root:$ACCOUNT" "$JOURNAL"
    chmod 0660 "$JOURNAL"
    if ! chattr +a "$JOURNAL" 2>/dev/null; then
        echo "setup-bureau-server: WARNING: the filesystem of $DATA does not support the" \
             "append-only attribute (chattr +a): $ACCOUNT cannot delete $JOURNAL but could" \
             "truncate it. Put $DATA on ext4, XFS or btrfs and run install again." >&2
    fi
}

install_wrapper() {
    install -d -m 0755 "$BIN_DIR"
    cat > "$WRAPPER.tmp" <<EOF
#!/bin/sh
# ForceCommand of the $ACCOUNT account (written by setup-bureau-server.sh): the TUI and
# nothing else. A command asked for on the ssh line, or a session without a terminal
# (scp, sftp, a remote shell), is refused.
umask 077
if [ -n "\${SSH_ORIGINAL_COMMAND:-}" ] || [ ! -t 0 ] || [ ! -t 1 ]; then
    echo "This account opens counselor-tui only (ssh -t, no command)." >&2
    exit 1
fi
# The key this session logged in with names the vault account (its authorized_keys
# comment "$TAG:NAME"): the unlock screen asks that account's passphrase.
name=""
if [ -n "\${SSH_USER_AUTH:-}" ] && [ -r "\$SSH_USER_AUTH" ]; then
    key=\$(sed -n 's/^publickey \([^ ]* [^ ]*\).*/\1/p' "\$SSH_USER_AUTH" | head -n 1)
    if [ -n "\$key" ]; then
        name=\$(grep -F " \$key $TAG:" "\$HOME/.ssh/authorized_keys" | head -n 1 \\
               | sed -n 's/.* $TAG:\([A-Za-z0-9_.-]*\)\$/\1/p')
    fi
fi
[ -n "\$name" ] || { echo "This SSH key is not linked to a vault account." >&2; exit 1; }
export LANG=C.UTF-8
export COUNSELOR_TUI_STATE_DIR="$DATA/state"
export COUNSELOR_TUI_ATTEMPTS_JOURNAL="$JOURNAL"
export COUNSELOR_TUI_SSH_USER="\$name"
exec "$APP" --vault "$VAULT" --user "\$name"
EOF
    chmod 0755 "$WRAPPER.tmp"
    mv -f "$WRAPPER.tmp" "$WRAPPER"
}

install_sshd() {
    install -d -m 0755 "$SSHD_DIR"
    cat > "$SSHD_DIR/counselor-tui-$ACCOUNT.conf.tmp" <<EOF
# counselor-tui (setup-bureau-server.sh): the $ACCOUNT account runs the TUI and nothing else.
Match User $ACCOUNT
    AuthenticationMethods publickey
    PubkeyAuthentication yes
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    ForceCommand $WRAPPER
    ExposeAuthInfo yes
    PermitTTY yes
    DisableForwarding yes
    AllowTcpForwarding no
    AllowStreamLocalForwarding no
    AllowAgentForwarding no
    X11Forwarding no
    PermitTunnel no
    GatewayPorts no
    PermitListen none
    PermitOpen none
    PermitUserRC no
EOF
    mv -f "$SSHD_DIR/counselor-tui-$ACCOUNT.conf.tmp" "$SSHD_DIR/counselor-tui-$ACCOUNT.conf"
    if [ "$RELOAD" = 1 ]; then
        sshd -t || die "sshd rejects the configuration; nothing reloaded"
        systemctl reload ssh 2>/dev/null || service ssh reload
    fi
}

install_backups() {
    install -d -m 0755 "$ETC_DIR"
    local cmd="$APP --vault $VAULT --user $BACKUP_USER --passphrase-file $ETC_DIR/backup.pass backup --out $DATA/backups"
    if [ -d /run/systemd/system ] && [ -d "$SYSTEMD_DIR" ]; then
        cat > "$SYSTEMD_DIR/counselor-tui-backup-$ACCOUNT.service" <<EOF
[Unit]
Description=counselor-tui: verified encrypted backup of $VAULT
ConditionPathExists=$ETC_DIR/backup.pass

[Service]
Type=oneshot
User=$ACCOUNT
UMask=0077
# a backup reads the whole vault: low priority, so that counselors' saves stay quick
Nice=10
IOSchedulingClass=idle
Environment=COUNSELOR_TUI_STATE_DIR=$DATA/state
Environment=COUNSELOR_TUI_ATTEMPTS_JOURNAL=$JOURNAL
ExecStart=$cmd
EOF
        cat > "$SYSTEMD_DIR/counselor-tui-backup-$ACCOUNT.timer" <<EOF
[Unit]
Description=counselor-tui backup, twice a day

[Timer]
OnCalendar=*-*-* 06,18:30:00
Persistent=true

[Install]
WantedBy=timers.target
EOF
        if [ "$RELOAD" = 1 ]; then
            systemctl daemon-reload
            systemctl enable --now "counselor-tui-backup-$ACCOUNT.timer"
        fi
    else
        install -d -m 0755 "$CRON_DIR"
        printf '%s\n' "# counselor-tui backup (setup-bureau-server.sh)" \
            "30 6,18 * * * $ACCOUNT [ -r $ETC_DIR/backup.pass ] && COUNSELOR_TUI_STATE_DIR=$DATA/state COUNSELOR_TUI_ATTEMPTS_JOURNAL=$JOURNAL nice -n 10 ionice -c 3 $cmd" \
            > "$CRON_DIR/counselor-tui-$ACCOUNT"
        chmod 0644 "$CRON_DIR/counselor-tui-$ACCOUNT"
    fi
}

add_key() {
    local name="$1" keyfile="$2"
    [[ "$name" =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || die "bad vault account name: $name"
    [ -r "$keyfile" ] || die "cannot read the public key file $keyfile"
    local line; line="$(grep -m1 -E '^(ssh-ed25519|ecdsa-sha2-nistp[0-9]+|ssh-rsa|sk-ssh-ed25519@openssh.com) ' "$keyfile" || true)"
    [ -n "$line" ] || die "$keyfile holds no SSH public key"
    local type blob; type="$(echo "$line" | awk '{print $1}')"; blob="$(echo "$line" | awk '{print $2}')"
    ssh-keygen -l -f <(echo "$type $blob") >/dev/null 2>&1 || die "$keyfile is not a valid key"
    local keys; keys="$(home_of)/.ssh/authorized_keys"
    if grep -qF " $blob " "$keys"; then die "this key is already linked to an account"; fi
    # restrict = no forwarding of any kind, no pty, no user rc; pty allowed back for the TUI
    echo "restrict,pty $type $blob $TAG:$name" >> "$keys"
    echo "SSH key linked to vault account $name."
}

remove_key() {
    local name="$1"
    local keys; keys="$(home_of)/.ssh/authorized_keys"
    local before after
    before=$(wc -l < "$keys")
    grep -v -E " $TAG:${name//./\\.}\$" "$keys" > "$keys.tmp" || true
    chown "$ACCOUNT:$ACCOUNT" "$keys.tmp"; chmod 0600 "$keys.tmp"; mv -f "$keys.tmp" "$keys"
    after=$(wc -l < "$keys")
    echo "$((before - after)) SSH key(s) of $name removed."
}

uninstall() {
    rm -f "$SSHD_DIR/counselor-tui-$ACCOUNT.conf" "$WRAPPER" "$CRON_DIR/counselor-tui-$ACCOUNT"
    if [ -f "$SYSTEMD_DIR/counselor-tui-backup-$ACCOUNT.timer" ]; then
        [ "$RELOAD" = 1 ] && systemctl disable --now "counselor-tui-backup-$ACCOUNT.timer" || true
        rm -f "$SYSTEMD_DIR/counselor-tui-backup-$ACCOUNT".{timer,service}
    fi
    pkill -KILL -u "$ACCOUNT" 2>/dev/null || true
    getent passwd "$ACCOUNT" >/dev/null && userdel "$ACCOUNT" 2>/dev/null || true
    getent group "$ACCOUNT" >/dev/null && groupdel "$ACCOUNT" 2>/dev/null || true
    if [ "${PURGE:-0}" = 1 ]; then chattr -a "$JOURNAL" 2>/dev/null || true; rm -rf "$DATA"; fi
    if [ "$RELOAD" = 1 ]; then systemctl reload ssh 2>/dev/null || service ssh reload || true; fi
}

case "${1:-install}" in
    install) install_account; install_wrapper; install_sshd; install_backups
             echo "Installed for account $ACCOUNT (data in $DATA). Next: create the vault as"
             echo "  sudo -u $ACCOUNT $APP --vault $VAULT init"
             echo "then link each counselor's key: $0 add-key NAME KEYFILE" ;;
    add-key) [ $# = 3 ] || die "usage: $0 add-key NAME KEYFILE"; add_key "$2" "$3" ;;
    remove-key) [ $# = 2 ] || die "usage: $0 remove-key NAME"; remove_key "$2" ;;
    uninstall) uninstall ;;
    *) die "unknown action ${1}; use install, add-key, remove-key or uninstall" ;;
esac
