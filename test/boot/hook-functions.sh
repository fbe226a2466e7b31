# A stand-in for /usr/share/initramfs-tools/hook-functions (initramfs-tools is not needed to
# test the hook): copy_file and copy_exec with the same arguments, into $DESTDIR.
# shellcheck shell=sh
copy_file() {
	# copy_file TYPE SRC [DST]
	dst="${3:-$2}"
	mkdir -p "${DESTDIR}$(dirname "$dst")"
	cp -pL "$2" "${DESTDIR}${dst}"
}

copy_exec() {
	# copy_exec SRC [DST]: the program and the shared libraries ldd names.
	copy_file binary "$1" "${2:-$1}"
	for lib in $(ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
		[ -e "${DESTDIR}${lib}" ] || copy_file library "$lib"
	done
}
