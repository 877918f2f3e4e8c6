"""Sessions of the HTTP API against a real `halong serve`: login sets an HttpOnly SameSite=Strict
cookie, one message for a bad name or password, throttling after 5 failures (per name and per
client address) with Retry-After, CSRF on unsafe requests with a cookie, bearer tokens without
CSRF, logout, and a disabled user whose session and token stop at once; `Secure` on the cookie
only under `serve --secure-cookies` (behind an HTTPS proxy).

Failed logins are remembered per name and per client address, so each test logs in from its own
127.0.x.y address (all of 127/8 reaches the server on Linux) and throttles its own user."""
import itertools
import unittest

import hlserve
from hlserve import PASSWORD, ServerCase, session_cookie

_addr = itertools.count(10)


def fresh_source():
    n = next(_addr)
    return f'127.0.{n // 250 + 1}.{n % 250 + 1}'


class Sessions(ServerCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.w.add_user('throttled', 'viewer', '06652')
        cls.w.add_user('leaving', 'viewer', '06652')
        cls.w.add_user('byaddr', 'viewer', '06652')

    def client(self):
        return self.srv.client(source=fresh_source())

    def internal_doc(self):
        return next(d for d in self.w.docs if d['level'] == 'internal' and d['fonds'] == 'HAPHONG')

    def test_max_access_is_each_roles_ceiling(self):
        """user.max_access at login and in /me is the library's ceiling of the caller
        (docs/api.md's table): internal for viewers and officers, restricted above."""
        for name, (role, _) in hlserve.USERS.items():
            with self.subTest(user=name):
                c = self.client()
                r = c.login(name)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()['user']['max_access'], hlserve.CEILING[role])
                self.assertEqual(c.get('/api/v1/me').json()['user']['max_access'],
                                 hlserve.CEILING[role])

    def test_login_sets_a_strict_httponly_cookie(self):
        c = self.client()
        r = c.login('viewer')
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertEqual(j['user']['username'], 'viewer')
        self.assertEqual(j['user']['role'], 'viewer')
        self.assertEqual(j['user']['unit_code'], '06652')
        self.assertEqual(j['user']['unit_name'], 'Phường Hà Tu')
        self.assertEqual(j['user']['max_access'], 'internal')
        # no agency assigned: the user acts for their unit
        self.assertEqual(j['user']['agency'], '06652')
        self.assertIsInstance(j['csrf_token'], str)
        self.assertGreaterEqual(len(j['csrf_token']), 32)
        value, attrs = session_cookie(r)
        self.assertTrue(value, r.all('Set-Cookie'))
        self.assertIn('httponly', attrs)
        self.assertEqual(attrs.get('samesite', '').lower(), 'strict')
        self.assertEqual(attrs.get('path'), '/')
        self.assertNotIn('secure', attrs, 'Secure over plain HTTP (only --secure-cookies)')
        self.assertNotIn(value, r.text(), 'the session id is in the body')
        me = c.get('/api/v1/me')
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json()['user']['username'], 'viewer')
        self.assertEqual(me.json()['csrf_token'], j['csrf_token'])
        # the session sees what a viewer of 06652 sees
        r = c.get(f'/api/v1/documents/{self.internal_doc()["id"]}')
        self.assertEqual(r.status, 200, r)

    def test_wrong_password_and_unknown_user_answer_alike(self):
        c = self.client()
        a = c.login('officer', 'not-the-password-1')
        b = self.client().login('nobody-of-that-name', 'not-the-password-1')
        self.assertError(a, 401, 'unauthorized')
        self.assertError(b, 401, 'unauthorized')
        self.assertEqual(a.json()['error']['message'], b.json()['error']['message'])
        self.assertFalse(session_cookie(a)[0])
        self.assertEqual(c.get('/api/v1/me').json()['user'], None)

    def test_throttle_per_name(self):
        # five failures for one name, each from a different address, then the sixth is refused
        # even with the right password
        for i in range(5):
            r = self.client().login('throttled', f'wrong-password-{i}')
            self.assertError(r, 401, 'unauthorized')
        r = self.client().login('throttled', PASSWORD)
        self.assertError(r, 429, 'too_many_requests')
        ra = r.header('Retry-After')
        self.assertIsNotNone(ra, r)
        # at most the 15-minute window (one second more for rounding up)
        self.assertTrue(ra.isdigit() and 0 < int(ra) <= 901, ra)
        # another user is not locked out by it
        self.assertEqual(self.client().login('viewer').status, 200)

    def test_throttle_per_address(self):
        src = fresh_source()
        c = self.srv.client(source=src)
        for i in range(5):
            r = c.login(f'guess-{i}', 'wrong-password-x')
            self.assertError(r, 401, 'unauthorized')
        r = c.login('byaddr', PASSWORD)
        self.assertError(r, 429, 'too_many_requests')
        self.assertIsNotNone(r.header('Retry-After'), r)
        # the same user from another address logs in
        self.assertEqual(self.client().login('byaddr').status, 200)

    def test_csrf_on_unsafe_requests_with_a_cookie(self):
        c = self.client()
        self.assertEqual(c.login('archivist').status, 200)
        body = {'creator': '06652', 'name': 'UBND phường Hà Phong'}  # unchanged
        r = c.put('/api/v1/fonds/HAPHONG', body, csrf=False)
        self.assertError(r, 403, 'forbidden')
        r = c.put('/api/v1/fonds/HAPHONG', body, csrf=False, headers={'X-CSRF-Token': 'x' * 43})
        self.assertError(r, 403, 'forbidden')
        r = c.post('/api/v1/logout', csrf=False)
        self.assertError(r, 403, 'forbidden')
        self.assertEqual(c.get('/api/v1/me').json()['user']['username'], 'archivist',
                         'a logout without the CSRF token ended the session')
        r = c.put('/api/v1/fonds/HAPHONG', body)
        self.assertEqual(r.status, 200, r)

    def test_bearer_needs_no_csrf(self):
        c = self.srv.client(token=self.w.tokens['archivist'])
        r = c.put('/api/v1/fonds/HAPHONG', {'creator': '06652', 'name': 'UBND phường Hà Phong'})
        self.assertEqual(r.status, 200, r)
        r = self.srv.client(token='not-a-token').get('/api/v1/me')
        self.assertNotEqual((r.json().get('user') or {}).get('username') if r.status == 200
                            else None, 'archivist')

    def test_logout_ends_the_session(self):
        c = self.client()
        self.assertEqual(c.login('officer').status, 200)
        doc = self.internal_doc()
        self.assertEqual(c.get(f'/api/v1/documents/{doc["id"]}').status, 200)
        r = c.post('/api/v1/logout')
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b'')
        me = c.get('/api/v1/me')
        self.assertEqual(me.status, 200, me)
        self.assertIsNone(me.json()['user'])
        self.assertEqual(c.get(f'/api/v1/documents/{doc["id"]}').status, 404)

    def test_disabled_user_stops_at_once(self):
        c = self.client()
        self.assertEqual(c.login('leaving').status, 200)
        r = self.w.h.run('user', 'token', 'leaving')
        self.assertEqual(r.rc, 0, r)
        tok = self.srv.client(token=r.out.strip().splitlines()[-1].strip())
        doc = self.internal_doc()
        self.assertEqual(c.get(f'/api/v1/documents/{doc["id"]}').status, 200)
        self.assertEqual(tok.get(f'/api/v1/documents/{doc["id"]}').status, 200)
        r = self.w.h.run('user', 'disable', 'leaving')
        self.assertEqual(r.rc, 0, r)
        r = c.get(f'/api/v1/documents/{doc["id"]}')
        self.assertEqual(r.status, 404, f'the disabled user\'s session still reads: {r!r}')
        me = c.get('/api/v1/me')
        self.assertIsNone(me.json()['user'], me)
        r = tok.get(f'/api/v1/documents/{doc["id"]}')
        self.assertIn(r.status, (401, 404), f'the disabled user\'s token still reads: {r!r}')
        r = self.client().login('leaving')
        self.assertError(r, 401, 'unauthorized')

    def test_login_bad_bodies(self):
        c = self.client()
        r = c.post('/api/v1/login', {'username': 'viewer'})
        self.assertError(r, 400, 'bad_request')
        r = c.post('/api/v1/login', 'username=viewer&password=x',
                   headers={'Content-Type': 'application/x-www-form-urlencoded'})
        self.assertIn(r.status, (400, 415), r)
        self.assertError(r, r.status)


class SecureCookies(ServerCase):
    """`halong serve --secure-cookies` (behind an HTTPS proxy): the session cookie, and the one
    that clears it at logout, carry Secure; the session works as without it."""
    server_args = ('--secure-cookies',)

    def test_cookie_is_secure(self):
        c = self.srv.client(source=fresh_source())
        r = c.login('viewer')
        self.assertEqual(r.status, 200, r)
        value, attrs = session_cookie(r)
        self.assertTrue(value, r.all('Set-Cookie'))
        self.assertIn('secure', attrs, r.all('Set-Cookie'))
        self.assertIn('httponly', attrs)
        self.assertEqual(attrs.get('samesite', '').lower(), 'strict')
        me = c.get('/api/v1/me')
        self.assertEqual(me.json()['user']['username'], 'viewer', me)
        r = c.post('/api/v1/logout')
        self.assertEqual(r.status, 204, r)
        value, attrs = session_cookie(r)
        self.assertEqual(value, '', r.all('Set-Cookie'))
        self.assertEqual(attrs.get('max-age'), '0')
        self.assertIn('secure', attrs, r.all('Set-Cookie'))
        self.assertIsNone(c.get('/api/v1/me').json()['user'])


if __name__ == '__main__':
    unittest.main()
