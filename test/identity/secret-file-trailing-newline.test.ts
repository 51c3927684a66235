import t from 'tap'
import { call, client, PASSWORD, pki, startMock, startProxy, USERNAME } from '../helpers/harness.js'

// `echo secret > file` and editors add a newline; it must not become part of
// the credential (the Basic header would then be user:pass\n).
t.test('_FILE secrets drop one trailing newline', async (t) => {
  const p = await pki()
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, {
    TRULIOO_USERNAME: undefined,
    TRULIOO_PASSWORD: undefined,
    TRULIOO_USERNAME_FILE: p.write('username', `${USERNAME}\n`),
    TRULIOO_PASSWORD_FILE: p.write('password', `${PASSWORD}\r\n`)
  })
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 200, 'the mock accepted the credentials')
  const header = mock.requests[0]?.headers.authorization as string
  t.equal(header, 'Basic ' + Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64'))
  t.equal(Buffer.from(header.slice(6), 'base64').toString(), `${USERNAME}:${PASSWORD}`, 'exactly user:pass, no newline')
})
