"""ACL content switching, differential: a corpus of (rule, request) cases run against the
binary under test and against haproxy 2.6 with the same config (one proxy start per config
per binary). For every case: the backend chosen (each backend's origin answers with its
name), the status, the exact head forwarded to the origin and the exact response bytes must
be identical, and the backend must be the one written in the table (so the table also fails
against haproxy if an expectation is wrong).

Rules in the big corpus are gated by a tag header (`x-t`): each rule fires only for requests
carrying its tag, so every case exercises exactly one rule, and a non-matching request falls
through to `default_backend b_default`.
"""

import unittest

from harness.diff import DiffTestCase, Case, req, IS_HAPROXY

T = 'X-T: {}'


def tagged(tag, path='/', **kw):
    headers = [T.format(tag)] + list(kw.pop('headers', ()))
    return req(path, headers=headers, **kw)


# ---- corpus 1: one rule per tag ---------------------------------------------------------
ROUTING_CFG = r"""
frontend fe
    bind <<fe>>
    acl is_api path_beg /api
    acl img path_end .jpg .png
    acl num path_reg ^/u/[0-9]+$
    acl adm path_dir admin
    acl pdom path_dom example
    acl h_www hdr(host) -i www.example.com
    acl h_end hdr_end(host) -i .example.org
    acl h_beg hdr_beg(host) api.
    acl ua_curl hdr_sub(user-agent) -i curl
    acl h_dom hdr_dom(host) shop
    acl h_reg hdr_reg(x-v) ^v[0-9]+\.[0-9]+$
    acl user_adm url_param(user) admin
    acl id_big urlp_val(id) gt 10
    acl has_sess cook(sess) -m found
    acl lang_fr cook(lang) fr
    acl lang_en req.cook(lang) -m beg en
    acl m_put method PUT
    acl from2 src 127.0.0.2
    acl from_net src 127.0.0.0/30
    acl from_mask src 127.0.0.4/255.255.255.252
    acl from_ten src 10.0.0.0/8
    acl x_sub req.hdr(x-a) -m sub needle
    acl x_len req.hdr(x-a) -m len 5
    acl x_found req.hdr(x-a) -m found
    acl x_beg req.hdr(x-a) -m beg pre
    acl x_end req.hdr(x-a) -m end suf
    acl x_reg req.hdr(x-a) -m reg -i ^ab+c$
    acl x_str_i req.hdr(x-a) -i MiXeD
    acl x_str req.hdr(x-a) MiXeD
    acl n_gt hdr_val(x-n) gt 10
    acl n_rng hdr_val(x-n) 5:10
    acl n_le hdr_val(x-n) le 2
    acl n_eq hdr_val(x-n) eq 7
    acl n_ge hdr_val(x-n) ge 100
    acl n_lt hdr_val(x-n) lt 0
    acl big req.len gt 300
    acl ip_hdr hdr_ip(x-ip) 192.168.0.0/16
    acl ip6_hdr hdr_ip(x-ip) 2001:db8::/32
    acl cnt2 hdr_cnt(x-r) ge 2
    acl plen path_len gt 10
    acl q_has query -m sub debug=1
    acl urlb url_beg /static/
    acl urls url_sub token=
    acl base_m base -m beg test/base
    acl cookc cook_cnt(c) eq 2
    acl list_path path -f <<dir>>/paths.lst
    acl list_host hdr(host) -i -f <<dir>>/hosts.lst -f <<dir>>/hosts2.lst
    acl list_net src -f <<dir>>/nets.lst
    acl dashes req.hdr(x-a) -- -dash
    acl nbs nbsrv(b_api) ge 1
    acl nbs0 nbsrv(b_api) eq 0
    acl fen fe_name fe
    acl sslfc ssl_fc
    acl reqver req.ver 1.0
    acl methi method -i get
    acl psub path_sub /mid/
    acl ureg url_reg \?(.*&)?k=[0-9]+$
    acl conv req.hdr(x-k),lower,map_str(<<dir>>/kv.map) -m str yes
    acl convlen req.hdr(x-k),length gt 5
    acl trueval always_true
    acl falseval always_false
    acl dup path /one
    acl dup path /two
    acl dup hdr(x-dup) yes

    use_backend b_api   if { hdr(x-t) pb } is_api
    use_backend b_img   if { hdr(x-t) pe } img
    use_backend b_reg   if { hdr(x-t) pr } num
    use_backend b_dir   if { hdr(x-t) pd } adm
    use_backend b_dom   if { hdr(x-t) pdom } pdom
    use_backend b_host  if { hdr(x-t) host } h_www
    use_backend b_hend  if { hdr(x-t) hend } h_end
    use_backend b_hbeg  if { hdr(x-t) hbeg } h_beg
    use_backend b_ua    if { hdr(x-t) ua } ua_curl
    use_backend b_hdom  if { hdr(x-t) hdom } h_dom
    use_backend b_hreg  if { hdr(x-t) hreg } h_reg
    use_backend b_param if { hdr(x-t) param } user_adm
    use_backend b_param if { hdr(x-t) urlpv } id_big
    use_backend b_cook  if { hdr(x-t) sess } has_sess
    use_backend b_cook  if { hdr(x-t) fr } lang_fr
    use_backend b_cook  if { hdr(x-t) en } lang_en
    use_backend b_meth  if { hdr(x-t) put } m_put
    use_backend b_meth  if { hdr(x-t) post } METH_POST
    use_backend b_meth  if { hdr(x-t) get } METH_GET
    use_backend b_meth  if { hdr(x-t) opt } METH_OPTIONS
    use_backend b_meth  if { hdr(x-t) del } METH_DELETE
    use_backend b_src   if { hdr(x-t) src2 } from2
    use_backend b_src   if { hdr(x-t) srcnet } from_net
    use_backend b_src   if { hdr(x-t) srcmask } from_mask
    use_backend b_src   if { hdr(x-t) srcten } from_ten
    use_backend b_src   if { hdr(x-t) local } LOCALHOST
    use_backend b_ver   if { hdr(x-t) v10 } HTTP_1.0
    use_backend b_ver   if { hdr(x-t) v11 } HTTP_1.1
    use_backend b_ver   if { hdr(x-t) abs } HTTP_URL_ABS
    use_backend b_ver   if { hdr(x-t) slash } HTTP_URL_SLASH
    use_backend b_ver   if { hdr(x-t) content } HTTP_CONTENT
    use_backend b_ver   if { hdr(x-t) false } FALSE
    use_backend b_ver   if { hdr(x-t) true } TRUE
    use_backend b_flag  if { hdr(x-t) sub } x_sub
    use_backend b_flag  if { hdr(x-t) len } x_len
    use_backend b_flag  if { hdr(x-t) found } x_found
    use_backend b_flag  if { hdr(x-t) beg } x_beg
    use_backend b_flag  if { hdr(x-t) end } x_end
    use_backend b_flag  if { hdr(x-t) reg } x_reg
    use_backend b_flag  if { hdr(x-t) stri } x_str_i
    use_backend b_flag  if { hdr(x-t) str } x_str
    use_backend b_int   if { hdr(x-t) gt } n_gt
    use_backend b_int   if { hdr(x-t) rng } n_rng
    use_backend b_int   if { hdr(x-t) le } n_le
    use_backend b_int   if { hdr(x-t) eq } n_eq
    use_backend b_int   if { hdr(x-t) ge } n_ge
    use_backend b_int   if { hdr(x-t) lt } n_lt
    use_backend b_int   if { hdr(x-t) big } big
    use_backend b_ip    if { hdr(x-t) ip } ip_hdr
    use_backend b_ip    if { hdr(x-t) ip6 } ip6_hdr
    use_backend b_misc  if { hdr(x-t) cnt } cnt2
    use_backend b_misc  if { hdr(x-t) plen } plen
    use_backend b_misc  if { hdr(x-t) query } q_has
    use_backend b_misc  if { hdr(x-t) urlb } urlb
    use_backend b_misc  if { hdr(x-t) urls } urls
    use_backend b_misc  if { hdr(x-t) base } base_m
    use_backend b_misc  if { hdr(x-t) cookc } cookc
    use_backend b_misc  if { hdr(x-t) dashes } dashes
    use_backend b_misc  if { hdr(x-t) nbs } nbs !nbs0
    use_backend b_misc  if { hdr(x-t) fen } fen
    use_backend b_misc  if { hdr(x-t) sslfc } sslfc
    use_backend b_misc  if { hdr(x-t) nosslfc } !sslfc
    use_backend b_misc  if { hdr(x-t) reqver } reqver
    use_backend b_misc  if { hdr(x-t) methi } methi
    use_backend b_misc  if { hdr(x-t) psub } psub
    use_backend b_misc  if { hdr(x-t) ureg } ureg
    use_backend b_misc  if { hdr(x-t) conv } conv
    use_backend b_misc  if { hdr(x-t) convlen } convlen
    use_backend b_misc  if { hdr(x-t) always } trueval !falseval
    use_backend b_file  if { hdr(x-t) fpath } list_path
    use_backend b_file  if { hdr(x-t) fhost } list_host
    use_backend b_file  if { hdr(x-t) fnet } list_net
    use_backend b_logic if { hdr(x-t) or } is_api || img
    use_backend b_logic if { hdr(x-t) not } !is_api
    use_backend b_logic if { hdr(x-t) and } is_api m_put
    use_backend b_logic if { hdr(x-t) anon } { path_beg /anon } { method GET HEAD }
    use_backend b_logic if { hdr(x-t) anonor } { path /a1 } || { path /a2 } || { hdr(x-z) z }
    use_backend b_logic unless !{ hdr(x-t) unless } || !is_api
    use_backend b_dup   if { hdr(x-t) dup } dup
    use_backend b_first if { hdr(x-t) order } { path_beg /o }
    use_backend b_second if { hdr(x-t) order } { path_beg /or }
    use_backend b_second if { hdr(x-t) order2 } { path_beg /or }
    use_backend b_first if { hdr(x-t) order2 } { path_beg /o }
    use_backend %[req.hdr(host),lower,map(<<dir>>/hosts.map,b_default)] if { hdr(x-t) map }
    use_backend %[path,map_beg(<<dir>>/paths.map)] if { hdr(x-t) mapbeg }
    default_backend b_default
"""

BACKENDS = ['b_default', 'b_api', 'b_img', 'b_reg', 'b_dir', 'b_dom', 'b_host', 'b_hend',
            'b_hbeg', 'b_ua', 'b_hdom', 'b_hreg', 'b_param', 'b_cook', 'b_meth', 'b_src',
            'b_ver', 'b_flag', 'b_int', 'b_ip', 'b_misc', 'b_file', 'b_logic', 'b_dup',
            'b_first', 'b_second']

FILES = {
    'paths.lst': '# comment line\n/one\n\n/two/three\n',
    'hosts.lst': 'alpha.test\n',
    'hosts2.lst': 'BETA.test\n',
    'nets.lst': '127.0.0.3\n10.1.0.0/16\n',
    'hosts.map': ('# host -> backend\nwww.a.test b_api\nimg.a.test b_img\n'
                  'ghost.a.test b_nonexistent\n'),
    'paths.map': '/static b_img\n/api b_api\n',
    'kv.map': 'on yes\noff no\n',
}

D = 'b_default'


def C(name, tag, path='/', expect=D, **kw):
    src = kw.pop('src', None)
    return Case(name, tagged(tag, path, **kw), expect, src=src)


CORPUS = [
    # path_beg / path_end / path_reg / path_dir / path_dom
    C('path_beg_hit', 'pb', '/api/v1', 'b_api'),
    C('path_beg_prefix_only', 'pb', '/apix', 'b_api'),
    C('path_beg_miss', 'pb', '/v/api'),
    C('path_beg_query_not_path', 'pb', '/x?p=/api'),
    C('path_end_png', 'pe', '/a/b.png', 'b_img'),
    C('path_end_second_pattern', 'pe', '/a.jpg', 'b_img'),
    C('path_end_query_ignored', 'pe', '/a.png?x=1', 'b_img'),
    C('path_end_miss', 'pe', '/a.pngx'),
    C('path_end_case_sensitive', 'pe', '/A.PNG'),
    C('path_reg_hit', 'pr', '/u/123', 'b_reg'),
    C('path_reg_anchor_miss', 'pr', '/u/12a'),
    C('path_dir_middle', 'pd', '/x/admin/y', 'b_dir'),
    C('path_dir_exact', 'pd', '/admin', 'b_dir'),
    C('path_dir_not_prefix', 'pd', '/administrator'),
    C('path_dom_hit', 'pdom', '/www.example.com/x', 'b_dom'),
    C('path_dom_partial_miss', 'pdom', '/examples/x'),
    # host header matching
    C('hdr_host_i', 'host', host='WWW.Example.COM', expect='b_host'),
    C('hdr_host_port_no_match', 'host', host='www.example.com:80'),
    C('hdr_end_hit', 'hend', host='a.Example.org', expect='b_hend'),
    C('hdr_end_miss', 'hend', host='example.org'),
    C('hdr_beg_hit', 'hbeg', host='api.x.test', expect='b_hbeg'),
    C('hdr_beg_case', 'hbeg', host='API.x.test'),
    C('hdr_sub_i', 'ua', headers=['User-Agent: Mozilla CURL/8'], expect='b_ua'),
    C('hdr_sub_absent', 'ua'),
    C('hdr_dom_hit', 'hdom', host='www.shop.test', expect='b_hdom'),
    C('hdr_dom_miss', 'hdom', host='www.shopping.test'),
    C('hdr_reg_hit', 'hreg', headers=['X-V: v2.10'], expect='b_hreg'),
    C('hdr_reg_miss', 'hreg', headers=['X-V: v2.x']),
    # url_param / cookies
    C('url_param_hit', 'param', '/x?a=1&user=admin', 'b_param'),
    C('url_param_longer_value', 'param', '/x?user=administrator'),
    C('url_param_other_name', 'param', '/x?xuser=admin'),
    C('urlp_val_gt', 'urlpv', '/x?id=11', 'b_param'),
    C('urlp_val_not_gt', 'urlpv', '/x?id=10'),
    C('cook_found', 'sess', headers=['Cookie: a=1; sess=xyz'], expect='b_cook'),
    # haproxy 2.6: an empty cookie value is not "found"
    C('cook_found_empty_value', 'sess', headers=['Cookie: sess=']),
    C('cook_absent', 'sess', headers=['Cookie: session=1']),
    C('cook_value', 'fr', headers=['Cookie: lang=fr'], expect='b_cook'),
    C('cook_value_second_header', 'fr', headers=['Cookie: a=b', 'Cookie: lang=fr'],
      expect='b_cook'),
    C('req_cook_beg', 'en', headers=['Cookie: x=1; lang=en-GB'], expect='b_cook'),
    # methods, predefined ACLs
    C('method_put', 'put', method='PUT', body=b'x', expect='b_meth'),
    # Deliberate difference (see README): portero parses requests with llhttp, which only knows
    # the registered methods, so a lower-case `put` gets a 400; HAProxy forwards any token.
    *([C('method_case_sensitive', 'put', method='put', body=b'x')] if IS_HAPROXY else []),
    C('meth_post', 'post', method='POST', body=b'abc', expect='b_meth'),
    C('meth_post_get', 'post'),
    C('meth_get_head', 'get', method='HEAD', expect='b_meth'),
    C('meth_options', 'opt', method='OPTIONS', expect='b_meth'),
    C('meth_delete', 'del', method='DELETE', expect='b_meth'),
    C('http_1_0', 'v10', version='HTTP/1.0', expect='b_ver'),
    C('http_1_0_on_1_1', 'v10'),
    C('http_1_1', 'v11', expect='b_ver'),
    C('url_abs', 'abs', 'http://test/abs', expect='b_ver'),
    C('url_slash', 'slash', '/s', expect='b_ver'),
    C('url_slash_abs_miss', 'slash', 'http://test/s'),
    C('http_content', 'content', method='POST', body=b'abc', expect='b_ver'),
    C('http_content_none', 'content'),
    C('false_acl', 'false'),
    C('true_acl', 'true', expect='b_ver'),
    # sources, masks
    C('src_exact', 'src2', src='127.0.0.2', expect='b_src'),
    C('src_exact_miss', 'src2'),
    C('src_cidr', 'srcnet', src='127.0.0.3', expect='b_src'),
    C('src_cidr_miss', 'srcnet', src='127.0.0.4'),
    C('src_dotted_mask', 'srcmask', src='127.0.0.6', expect='b_src'),
    C('src_dotted_mask_miss', 'srcmask', src='127.0.0.9'),
    C('src_other_net', 'srcten'),
    C('localhost', 'local', expect='b_src'),
    C('localhost_127_0_0_5', 'local', src='127.0.0.5', expect='b_src'),
    # -m flags and -i
    C('m_sub', 'sub', headers=['X-A: hayneedlestack'], expect='b_flag'),
    C('m_len', 'len', headers=['X-A: abcde'], expect='b_flag'),
    C('m_len_miss', 'len', headers=['X-A: abcdef']),
    C('m_found_empty', 'found', headers=['X-A:'], expect='b_flag'),
    C('m_found_absent', 'found'),
    C('m_beg', 'beg', headers=['X-A: prefix'], expect='b_flag'),
    C('m_end', 'end', headers=['X-A: asuf'], expect='b_flag'),
    C('m_reg_i', 'reg', headers=['X-A: ABBBC'], expect='b_flag'),
    C('m_reg_miss', 'reg', headers=['X-A: abbcd']),
    C('str_i', 'stri', headers=['X-A: mixed'], expect='b_flag'),
    C('str_case', 'str', headers=['X-A: mixed']),
    C('str_exact', 'str', headers=['X-A: MiXeD'], expect='b_flag'),
    # in an ACL, hdr() tries every occurrence (and every comma-separated value)
    C('hdr_any_occurrence', 'str', headers=['X-A: MiXeD', 'X-A: other'], expect='b_flag'),
    C('hdr_comma_list_last', 'str', headers=['X-A: other, MiXeD'], expect='b_flag'),
    # integers
    C('int_gt', 'gt', headers=['X-N: 11'], expect='b_int'),
    C('int_gt_equal', 'gt', headers=['X-N: 10']),
    C('int_range_low', 'rng', headers=['X-N: 5'], expect='b_int'),
    C('int_range_high', 'rng', headers=['X-N: 10'], expect='b_int'),
    C('int_range_out', 'rng', headers=['X-N: 11']),
    C('int_le', 'le', headers=['X-N: 2'], expect='b_int'),
    C('int_le_negative', 'le', headers=['X-N: -5'], expect='b_int'),
    C('int_eq', 'eq', headers=['X-N: 7'], expect='b_int'),
    C('int_ge', 'ge', headers=['X-N: 100'], expect='b_int'),
    C('int_lt_absent', 'lt'),
    C('int_not_a_number', 'gt', headers=['X-N: abc']),
    C('req_len_big', 'big', headers=['X-Pad: ' + 'p' * 300], expect='b_int'),
    C('req_len_small', 'big'),
    # IP in headers
    C('hdr_ip_v4', 'ip', headers=['X-IP: 192.168.3.4'], expect='b_ip'),
    C('hdr_ip_v4_miss', 'ip', headers=['X-IP: 192.169.3.4']),
    C('hdr_ip_v6', 'ip6', headers=['X-IP: 2001:db8::1'], expect='b_ip'),
    C('hdr_ip_v6_miss', 'ip6', headers=['X-IP: 2001:db9::1']),
    # misc fetches
    C('hdr_cnt', 'cnt', headers=['X-R: 1', 'X-R: 2'], expect='b_misc'),
    C('hdr_cnt_comma', 'cnt', headers=['X-R: 1, 2'], expect='b_misc'),
    C('hdr_cnt_one', 'cnt', headers=['X-R: 1']),
    C('path_len', 'plen', '/0123456789', 'b_misc'),
    C('path_len_short', 'plen', '/012345678'),
    C('query_sub', 'query', '/x?a=1&debug=1', 'b_misc'),
    C('url_beg', 'urlb', '/static/x.css', 'b_misc'),
    C('url_sub_in_query', 'urls', '/x?token=1', 'b_misc'),
    C('base', 'base', '/base/x?q=1', 'b_misc'),
    C('cook_cnt', 'cookc', headers=['Cookie: c=1; d=2; c=3'], expect='b_misc'),
    C('double_dash_pattern', 'dashes', headers=['X-A: -dash'], expect='b_misc'),
    C('nbsrv', 'nbs', expect='b_misc'),
    C('fe_name', 'fen', expect='b_misc'),
    C('ssl_fc_false', 'sslfc'),
    C('not_ssl_fc', 'nosslfc', expect='b_misc'),
    C('req_ver', 'reqver', version='HTTP/1.0', expect='b_misc'),
    C('req_ver_miss', 'reqver'),
    # haproxy 2.6: `method -i get` does NOT match GET (a lower-case pattern is an unknown
    # method, compared as such; -i has no effect on known methods)
    C('method_i_lowercase_pattern', 'methi'),
    C('path_sub', 'psub', '/a/mid/b', 'b_misc'),
    C('url_reg', 'ureg', '/x?a=1&k=42', 'b_misc'),
    C('url_reg_miss', 'ureg', '/x?a=1&kk=42'),
    C('converter_map_str', 'conv', headers=['X-K: ON'], expect='b_misc'),
    C('converter_map_str_no', 'conv', headers=['X-K: off']),
    C('converter_length', 'convlen', headers=['X-K: 123456'], expect='b_misc'),
    C('always_true_false', 'always', expect='b_misc'),
    # pattern files
    C('file_path_1', 'fpath', '/one', 'b_file'),
    C('file_path_2', 'fpath', '/two/three', 'b_file'),
    # '#' in the request target is rejected by haproxy 2.6 before any rule
    Case('hash_in_target_400', tagged('fpath', '/#%20comment%20line'), 400),
    C('file_path_comment_not_pattern', 'fpath', '/%23%20comment%20line'),
    C('file_host_1_i', 'fhost', host='ALPHA.test', expect='b_file'),
    C('file_host_second_file', 'fhost', host='beta.TEST', expect='b_file'),
    C('file_host_miss', 'fhost', host='gamma.test'),
    C('file_net_addr', 'fnet', src='127.0.0.3', expect='b_file'),
    C('file_net_miss', 'fnet', src='127.0.0.2'),
    # logic
    C('or_first', 'or', '/api', 'b_logic'),
    C('or_second', 'or', '/x.png', 'b_logic'),
    C('or_none', 'or', '/x'),
    C('not_hit', 'not', '/x', 'b_logic'),
    C('not_miss', 'not', '/api'),
    C('and_both', 'and', '/api', 'b_logic', method='PUT', body=b'x'),
    C('and_one', 'and', '/api'),
    C('anon_hit', 'anon', '/anon/1', 'b_logic', method='HEAD'),
    C('anon_method_miss', 'anon', '/anon/1', method='DELETE'),
    C('anon_or_2', 'anonor', '/a2', 'b_logic'),
    C('anon_or_3', 'anonor', '/zz', 'b_logic', headers=['X-Z: z']),
    C('anon_or_none', 'anonor', '/a3'),
    C('unless_hit', 'unless', '/api', 'b_logic'),
    C('unless_cond_false', 'unless', '/x'),
    C('unless_other_tag', 'zzz', '/api'),
    C('same_name_line1', 'dup', '/one', 'b_dup'),
    C('same_name_line2', 'dup', '/two', 'b_dup'),
    C('same_name_line3', 'dup', '/x', 'b_dup', headers=['X-Dup: yes']),
    C('same_name_none', 'dup', '/three'),
    C('order_first_rule_wins', 'order', '/or', 'b_first'),
    C('order_first_rule_wins_2', 'order2', '/or', 'b_second'),
    C('order_only_second', 'order2', '/o', 'b_first'),
    # maps in use_backend
    C('map_host_lower', 'map', host='WWW.A.test', expect='b_api'),
    C('map_host_2', 'map', host='img.a.test', expect='b_img'),
    C('map_default', 'map', host='unknown.test', expect='b_default'),
    C('map_missing_backend_falls_back', 'map', host='ghost.a.test', expect='b_default'),
    C('map_no_host', 'map', host=None, version='HTTP/1.0', expect='b_default'),
    C('map_beg', 'mapbeg', '/static/y', 'b_img'),
    C('map_beg_no_default', 'mapbeg', '/nothing', 'b_default'),
    # no tag: default_backend
    C('default_backend', 'none', '/api', 'b_default'),
]


NO_DEFAULT_CFG = r"""
frontend fe
    bind <<fe>>
    acl api path_beg /api
    use_backend b_api if api
    use_backend %[req.hdr(x-be)] if { req.hdr(x-be) -m found }
"""


class AclRoutingTest(DiffTestCase):
    def test_corpus(self):
        self.assertGreaterEqual(len(CORPUS), 60)
        self.differential(ROUTING_CFG, BACKENDS, CORPUS, files=FILES)

    def test_no_default_backend(self):
        cases = [
            Case('rule_hit', req('/api/1'), 'b_api'),
            Case('no_rule_503', req('/x'), 503),
            Case('dynamic_name', req('/x', headers=['X-BE: b_other']), 'b_other'),
            Case('dynamic_unknown_503', req('/x', headers=['X-BE: nope']), 503),
            Case('dynamic_empty_503', req('/x', headers=['X-BE:']), 503),
        ]
        self.differential(NO_DEFAULT_CFG, ['b_api', 'b_other'], cases)

    def test_backend_rules_after_frontend(self):
        # frontend http-request rules run before use_backend; the backend's own rules after
        cfg = r"""
frontend fe
    bind <<fe>>
    http-request set-header X-Route api if { path_beg /v1 }
    use_backend b_api if { req.hdr(x-route) api }
    default_backend b_default

backend b_api
    http-request set-header X-Seen-By b_api
    server b_api <<be:b_api>>
"""
        cases = [
            Case('routed_by_added_header', req('/v1/x'), 'b_api',
                 checks=[('backend rule ran', lambda o: o.fwd_header('x-seen-by') == ['b_api'])]),
            Case('not_routed', req('/v2/x'), 'b_default',
                 checks=[('no backend rule', lambda o: o.fwd_header('x-seen-by') == [])]),
        ]
        self.differential(cfg, ['b_default'], cases, extra_origins=['b_api'])


if __name__ == '__main__':
    unittest.main()
