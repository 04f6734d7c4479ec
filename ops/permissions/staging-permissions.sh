#!/bin/sh
# Lets the staging cleanup service's group create and remove entries in every
# folder of the staging tree, now and in every folder made later, whatever
# umask the instruments' user writes with. Run it once, as root:
#
#   ops/permissions/staging-permissions.sh /srv/exlab/staging staging-cleanup
#
# - every folder gets a default ACL granting the group rwx: a folder or file
#   made inside it inherits the entry (a default ACL replaces the umask),
#   and a new folder the default ACL itself, so it holds at any depth;
# - folders there already get the same access entry now, and the files of
#   their .exlab-wizard/ folders read access; data files are left as they
#   are: removing a file needs write access to its folder only, and changing
#   a file's ACL renews its ctime, which the service's inode test reads (a
#   run it has seen would then look changed since its verification);
# - folders are setgid, so new entries keep the tree's group.
# It changes no owner and no other user's access. It needs the acl package
# (setfacl) and a filesystem with POSIX ACLs (ext4, xfs, btrfs, tmpfs, NFSv4
# through its own ACLs is not covered). Running it again is harmless.
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: $0 STAGING_ROOT SERVICE_GROUP" >&2
  exit 64
fi
root=$1
group=$2

command -v setfacl >/dev/null 2>&1 || { echo "$0: setfacl is missing: apt-get install acl" >&2; exit 69; }
[ -d "$root" ] && [ ! -L "$root" ] || { echo "$0: $root is not a folder" >&2; exit 66; }
getent group "$group" >/dev/null || { echo "$0: no group named $group" >&2; exit 67; }

# -P: never follow a link out of the tree; -xdev: stay on the staging volume.
find -P "$root" -xdev -type d -exec chmod g+s {} +
find -P "$root" -xdev -type d -exec setfacl -m "g:$group:rwx" {} +
find -P "$root" -xdev -type f -path '*/.exlab-wizard/*' -exec setfacl -m "g:$group:r" {} +
find -P "$root" -xdev -type d -exec setfacl -d -m "g:$group:rwx" {} +
echo "$group may now create and remove entries anywhere under $root, in folders made later too"
