#!/usr/bin/env bash
# The image and the compose stack, built and run for real (npm run test:image; CI runs it after
# npm test). What it does, each step skipped when already done on this machine:
#
#   1. a container engine: Docker (dockerd, started here if nothing answers), buildah to build,
#      Debian's docker-compose; installed with apt-get when missing
#   2. the base images the Dockerfile and docker-compose.yml name (node:24-slim, redis:7-alpine):
#      pulled; when no registry serves them, stand-ins made from Debian packages (debootstrap)
#   3. the image, built from the unchanged Dockerfile by buildah and handed to Docker
#   4. the checks (test/deploy/check-image.ts): the container, then the compose stack
#
# Anything it starts itself (containers, the compose project) is removed when it ends; dockerd,
# the base images and the build cache stay for the next run. A machine that cannot run a container
# engine at all gets one loud line and a non-zero exit, never a silent pass.
#
# @see https://docs.docker.com/reference/cli/dockerd/
# @see https://github.com/containers/buildah/blob/main/docs/buildah-build.1.md
set -euo pipefail
cd "$(dirname "$0")/../.."
PROJECT_ROOT=$PWD

log() { echo "run-image: $*"; }

# The one loud line for a machine that cannot run containers at all.
no_engine() {
  echo "run-image: FAILED: NO CONTAINER ENGINE CAN RUN ON THIS MACHINE: $* (the image was not built or checked)" >&2
  exit 1
}

if [ "$(uname -s)" != Linux ]; then no_engine "$(uname -s) is not Linux"; fi
if [ "$(id -u)" -ne 0 ]; then
  # dockerd, rootful buildah, debootstrap and chroot all need root.
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo --preserve-env=PATH,npm_execpath bash "$PROJECT_ROOT/test/deploy/run-image.sh" "$@"
  fi
  no_engine "it needs root or password-less sudo (dockerd, buildah, debootstrap)"
fi

# The project's Node 24 for the checks, whatever `node` the machine has.
export PATH="$PROJECT_ROOT/node_modules/.bin:$PATH"
PROJECT_NODE=$PROJECT_ROOT/node_modules/node/bin/node
if [ ! -x "$PROJECT_NODE" ]; then
  echo "run-image: FAILED: $PROJECT_NODE is missing: run npm ci first" >&2
  exit 1
fi

VERSION=$("$PROJECT_NODE" -p "require('./package.json').version")
IMAGE=llm-gateway:$VERSION
NODE_BASE=node:24-slim
REDIS_BASE=redis:7-alpine
# Marks the stand-in bases (and the Node version a Node stand-in carries), so that they are told
# apart from the real images and rebuilt when the project's Node changes.
STAND_IN_LABEL=llm-gateway.stand-in
DOCKERD_LOG=/var/log/llm-gateway-dockerd.log
# Whatever the checks start carries this label, so that an interrupted run leaves nothing behind.
export CHECK_LABEL=llm-gateway.image-check=$$
export COMPOSE_PROJECT=llm-gateway-image-check

now() { date +%s.%N; }
elapsed() { awk -v from="$1" -v to="$(now)" 'BEGIN { printf "%.1f", to - from }'; }
RUN_STARTED=$(now)
declare -a TIMINGS=()
record() { TIMINGS+=("$(printf '%-34s %6s s' "$1" "$2")"); }

# ---- 1. the engine ------------------------------------------------------------------------------

install_missing_tools() {
  local packages=()
  { command -v dockerd && command -v docker; } >/dev/null 2>&1 || packages+=(docker.io)
  command -v buildah >/dev/null 2>&1 || packages+=(buildah)
  command -v docker-compose >/dev/null 2>&1 || packages+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || packages+=(debootstrap)
  command -v ip >/dev/null 2>&1 || packages+=(iproute2)
  [ ${#packages[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || no_engine "${packages[*]} missing and no apt-get to install them"
  log "installing ${packages[*]}"
  apt-get update -qq || no_engine "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" \
    >/tmp/llm-gateway-image-apt.log 2>&1 ||
    no_engine "apt-get install ${packages[*]} failed (see /tmp/llm-gateway-image-apt.log)"
}

start_dockerd() {
  docker info >/dev/null 2>&1 && return 0
  log "starting dockerd (log: $DOCKERD_LOG)"
  # No iptables rules and no IP forwarding: nothing here leaves the machine (the build and the
  # checks reach only this host), and a CI machine's own firewall is left as it was. dockerd
  # picks its storage driver itself (overlay2 where the kernel has it, else vfs).
  setsid nohup dockerd --iptables=false --ip-forward=false >"$DOCKERD_LOG" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  tail -n 5 "$DOCKERD_LOG" >&2 || true
  no_engine "dockerd did not start within 60 s (see $DOCKERD_LOG)"
}

# ---- 2. the base images ---------------------------------------------------------------------------

label_of() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# Present and current (a Node stand-in must carry the project's Node), else pulled; 1 when neither.
base_is_ready() {
  local image=$1 node_version
  if docker image inspect "$image" >/dev/null 2>&1; then
    node_version=$(label_of "$image" "$STAND_IN_LABEL.node")
    if [ "$image" != "$NODE_BASE" ] || [ -z "$node_version" ] || [ "$node_version" = "$("$PROJECT_NODE" --version)" ]; then
      return 0
    fi
    log "$image: the stand-in carries Node $node_version, the project $("$PROJECT_NODE" --version): remaking it"
    return 1
  fi
  log "$image: pulling"
  if timeout 300 docker pull -q "$image" >/dev/null 2>&1; then return 0; fi
  log "$image: no registry serves it here: making a stand-in from Debian packages"
  return 1
}

# The mirror apt already uses for this release, so that the stand-ins come from where this
# machine's packages come from.
debian_mirror() {
  local codename=$1
  apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 'Identifier: Packages' 2>/dev/null |
    awk -v codename="$codename" '$1 == codename { print $2; exit }'
}

# A minimal Debian root (debootstrap --variant=minbase) of this machine's release, once per run.
DEBIAN_ROOT=""
debian_root() {
  [ -n "$DEBIAN_ROOT" ] && return 0
  local codename mirror
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || no_engine "cannot tell this machine's Debian release for the stand-in bases"
  mirror=$(debian_mirror "$codename")
  mirror=${mirror:-http://deb.debian.org/debian/}
  DEBIAN_ROOT=$WORK/debian
  log "debootstrap --variant=minbase $codename from $mirror"
  debootstrap --variant=minbase "$codename" "$DEBIAN_ROOT" "$mirror" >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 5 "$WORK/debootstrap.log" >&2
    no_engine "debootstrap failed: no base image can be made"
  }
}

# What an image does not need: package lists and archives, documentation, translations.
trim_root() {
  rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb \
    "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/info/* "$1"/usr/share/locale/* \
    "$1"/var/log/*.log "$1"/tmp/* "$1"/root/.cache
}

# The root as a one-layer image under the base's name; a stand-in it replaces is removed.
import_root() {
  local root=$1 image=$2 previous
  shift 2
  trim_root "$root"
  previous=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  tar --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -C "$root" -c . |
    docker import "$@" - "$image" >/dev/null
  [ -z "$previous" ] || docker rmi "$previous" >/dev/null 2>&1 || true
}

# node:24-slim's stand-in: the project's own Node 24 and the npm running this script, a `node` user
# with uid and gid 1000 as in the official image, and this machine's CA bundle (npm reaches its
# registry here through a proxy with its own certificate).
# @see https://github.com/nodejs/docker-node/blob/main/24/bookworm-slim/Dockerfile
make_node_stand_in() {
  debian_root
  local root=$WORK/node npm_dir node_version
  node_version=$("$PROJECT_NODE" --version)
  npm_dir=$(dirname "$(dirname "${npm_execpath:-}")" 2>/dev/null || true)
  [ -f "$npm_dir/bin/npm-cli.js" ] || npm_dir=$(npm root -g)/npm
  [ -f "$npm_dir/bin/npm-cli.js" ] || no_engine "no npm to put into the Node stand-in"
  cp -a "$DEBIAN_ROOT" "$root"
  install -m 0755 "$PROJECT_NODE" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  mkdir -p "$root/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  import_root "$root" "$NODE_BASE" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
    --change "LABEL $STAND_IN_LABEL=debian-minbase $STAND_IN_LABEL.node=$node_version" \
    --change 'CMD ["node"]'
  rm -rf "$root"
  log "$NODE_BASE: stand-in made (Debian minbase, Node $node_version, npm $("$PROJECT_NODE" "$npm_dir/bin/npm-cli.js" --version))"
}

# redis:7-alpine's stand-in: Debian's redis-server 7. The official image's entrypoint runs Redis as
# the redis user in /data, and the official build turns protected mode off (the container's
# network is the boundary); this entrypoint does the same.
# @see https://github.com/docker-library/redis/blob/master/7.4/alpine/docker-entrypoint.sh
make_redis_stand_in() {
  debian_root
  local root=$WORK/redis
  cp -a "$DEBIAN_ROOT" "$root"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # No service may start inside the chroot while packages install.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  chroot "$root" apt-get install -y -qq --no-install-recommends redis-server >"$WORK/redis-apt.log" 2>&1 || {
    tail -n 5 "$WORK/redis-apt.log" >&2
    no_engine "redis-server could not be installed into the Redis stand-in"
  }
  rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
  mkdir -p "$root/data"
  chroot "$root" chown redis:redis /data
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
set -e
if [ "$1" = redis-server ]; then
  shift
  if [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$@" --protected-mode no
  fi
  exec redis-server "$@" --protected-mode no
fi
exec "$@"
ENTRYPOINT
  chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
  import_root "$root" "$REDIS_BASE" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "LABEL $STAND_IN_LABEL=debian-minbase" \
    --change 'VOLUME /data' --change 'WORKDIR /data' --change 'EXPOSE 6379' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' --change 'CMD ["redis-server"]'
  rm -rf "$root"
  log "$REDIS_BASE: stand-in made (Debian minbase, $(docker run --rm "$REDIS_BASE" redis-server --version | cut -d' ' -f1-3))"
}

# A daemon that answers may still be unable to start a container (no cgroups, no namespaces).
probe_engine() {
  docker run --rm --network none "$NODE_BASE" node --version >/dev/null 2>"$WORK/probe.log" ||
    no_engine "dockerd answers but cannot start a container: $(tail -n 1 "$WORK/probe.log")"
}

# buildah keeps its own image store: it builds on the base Docker holds, copied over when it changed.
copy_base_to_buildah() {
  local image=$1 docker_id buildah_id
  docker_id=$(docker image inspect -f '{{.Id}}' "$image")
  buildah_id=$(buildah images --no-trunc --format '{{.ID}}' "docker.io/library/$image" 2>/dev/null | head -n 1 || true)
  [ "sha256:${buildah_id#sha256:}" = "$docker_id" ] && return 0
  [ -n "$buildah_id" ] && buildah rmi -f "docker.io/library/$image" >/dev/null
  buildah pull -q "docker-daemon:$image" >/dev/null
}

# Only this build's steps stay in buildah's store, as the next build's cache (with the bases):
# the steps of earlier builds go, so that the store does not grow run after run.
prune_buildah_store() {
  local kept id name step keep
  # buildah prints each step's image as `--> Using cache <id>` or `--> <short id>`.
  kept=$(grep -oE -- '--> (Using cache )?[0-9a-f]{11,64}' "$WORK/build.log" | grep -oE '[0-9a-f]{11,64}$' || true)
  buildah images --all --no-trunc --format '{{.ID}} {{.Name}}' | while read -r id name; do
    [ "$name" = "<none>" ] || continue
    id=${id#sha256:}
    keep=no
    for step in $kept; do [[ $id == "$step"* ]] && keep=yes && break; done
    [ "$keep" = yes ] || buildah rmi "$id" >/dev/null 2>&1 || true
  done
}

# ---- what this run started is removed when it ends -------------------------------------------------

WORK=$(mktemp -d /var/tmp/llm-gateway-image.XXXXXX)
cleanup() {
  local status=$?
  docker ps -aq --filter "label=$CHECK_LABEL" 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
  if docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" 2>/dev/null | grep -q .; then
    docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" | xargs -r docker rm -f >/dev/null 2>&1 || true
    docker network ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" | xargs -r docker network rm >/dev/null 2>&1 || true
    docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" | xargs -r docker volume rm >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the run --------------------------------------------------------------------------------------

started=$(now)
install_missing_tools
start_dockerd
record "engine (install, dockerd)" "$(elapsed "$started")"

started=$(now)
base_is_ready "$NODE_BASE" || make_node_stand_in
base_is_ready "$REDIS_BASE" || make_redis_stand_in
rm -rf "${DEBIAN_ROOT:-$WORK/none}"
probe_engine
copy_base_to_buildah "$NODE_BASE"
record "base images" "$(elapsed "$started")"

started=$(now)
log "building $IMAGE with buildah (Dockerfile unchanged, target runtime)"
previous_image=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
# --network host: RUN steps (npm ci) reach the registry the way this machine does. --format docker
# keeps HEALTHCHECK, which the OCI format has no field for. --layers keeps each step's result for the
# next build, and RUN --mount=type=cache keeps npm's cache.
if ! buildah bud --network host --pull-never --format docker --layers --target runtime \
  --force-rm --tag "$IMAGE" . >"$WORK/build.log" 2>&1; then
  tail -n 30 "$WORK/build.log" >&2
  echo "run-image: FAILED: the image did not build" >&2
  exit 1
fi
buildah push -q "$IMAGE" "docker-daemon:$IMAGE" >/dev/null
current_image=$(docker image inspect -f '{{.Id}}' "$IMAGE")
if [ -n "$previous_image" ] && [ "$previous_image" != "$current_image" ]; then
  docker rmi "$previous_image" >/dev/null 2>&1 || true
fi
prune_buildah_store
record "image build (buildah, to Docker)" "$(elapsed "$started")"

started=$(now)
check_status=0
tsx test/deploy/check-image.ts --image "$IMAGE" --node-base "$NODE_BASE" ||
  check_status=$?
record "checks (container, compose)" "$(elapsed "$started")"
record "total" "$(elapsed "$RUN_STARTED")"

log "timings:"
for line in "${TIMINGS[@]}"; do echo "  $line"; done
if [ "$check_status" -ne 0 ]; then
  echo "run-image: FAILED: a check of the image or the compose stack failed" >&2
  exit 1
fi
log "the image and the compose stack passed every check"
