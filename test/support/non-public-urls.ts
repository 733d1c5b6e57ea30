// Loopback, private, link-local, unspecified and other non-public hosts, in
// the notations WHATWG URL parsing accepts (it normalises many to dotted form).
export const NON_PUBLIC_URLS = [
  'https://127.0.0.1/token', 'https://127.0.0.2/token', 'https://127.1/token', 'https://2130706433/token', 'https://0x7f.1/token',
  'https://017700000001/token', 'https://0177.0.0.1/token', 'https://%31%32%37.0.0.1/token', 'https://localhost/token',
  'https://LOCALHOST./token', 'https://idp.localhost/token', 'https://0.0.0.0/token', 'https://0/token', 'https://[::]/token',
  'https://[::1]/token', 'https://[0:0:0:0:0:0:0:1]/token', 'https://[::ffff:127.0.0.1]/token', 'https://[::ffff:7f00:1]/token',
  'https://[::ffff:169.254.169.254]/token', 'https://10.0.0.5/token', 'https://172.16.0.1/token', 'https://192.168.1.1/token',
  'https://100.64.0.1/token', 'https://169.254.169.254/latest/meta-data', 'https://[fe80::1]/token', 'https://[fc00::1]/token',
  'https://[fd12:3456::1]/token', 'https://224.0.0.1/token', 'https://255.255.255.255/token', 'https://[64:ff9b::7f00:1]/token',
  'https://[2002:7f00:1::]/token', 'https://198.18.0.1/token', 'http://127.0.0.1:8080/token',
];
