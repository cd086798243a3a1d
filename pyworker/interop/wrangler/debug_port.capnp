# The part of workerd's debug-port protocol that pyworker speaks, written for pyworker.
#
# Wire compatibility with workerd needs the same interface IDs, method ordinals and struct
# layouts, not the same files: each interface carries the ID workerd's schema gives it, methods
# keep their ordinals (unused ones are placeholders, since ordinals may not skip), and struct
# fields keep their ordinals and sizes (a pointer pyworker never reads is AnyPointer).
# Mirrors, as of workerd 1.20260426 (miniflare 4.20260426, wrangler 4.86):
#   workerd  src/workerd/io/worker-interface.capnp  (WorkerdDebugPort, WorkerdBootstrap,
#            EventDispatcher, JsRpcTarget, JsRpcSession)
#   capnproto c++/src/capnp/compat/http-over-capnp.capnp  (HttpService and its structs)
#   capnproto c++/src/capnp/compat/byte-stream.capnp  (ByteStream)

@0xc4a1d7e25b9f3e61;

interface WorkerdDebugPort @0xea5b0b487aea7327 {
  getEntrypoint @0 (service :Text, entrypoint :Text, props :AnyPointer) -> (entrypoint :WorkerdBootstrap);
}

interface WorkerdBootstrap @0x878048cda334ade3 {
  startEvent @0 (cfBlobJson :Text) -> (dispatcher :EventDispatcher);
}

interface EventDispatcher @0xf20697475ec1752d {
  getHttpService @0 () -> (http :HttpService);
  unused1 @1 ();
  unused2 @2 ();
  unused3 @3 ();
  unused4 @4 ();
  unused5 @5 ();
  unused6 @6 ();
  unused7 @7 ();
  unused8 @8 ();
  jsRpcSession @9 () -> (topLevel :JsRpcTarget, session :JsRpcSession);
}

interface JsRpcTarget @0xa1a96525142a9d98 {
  struct CallParams {
    union {
      methodName @0 :Text;
      methodPath @2 :List(Text);
    }
    operation :union {
      callWithArgs @1 :AnyPointer;  # a JsValue: V8-serialized, which pyworker cannot read
      getProperty @3 :Void;
    }
    resultsStreamHandler :union {
      obsolete4 @4 :AnyPointer;
      externalPusher @5 :AnyPointer;
    }
  }
  call @0 CallParams -> (result :AnyPointer);
}

interface JsRpcSession @0xbbfec607777f1620 {}

interface HttpService @0x92963bfdad2beb6a {
  startRequest @0 ();  # deprecated upstream; workerd sends request()
  request @1 (request :HttpRequest, context :ClientRequestContext) -> (requestBody :ByteStream);

  interface ClientRequestContext @0xea3256705c0b63ba {
    startResponse @0 (response :HttpResponse) -> (body :ByteStream);
  }
}

interface ByteStream @0xd2e7d8a0dc0a9766 {
  write @0 (bytes :Data) -> stream;
  end @1 ();
}

struct HttpRequest {
  method @0 :HttpMethod;
  url @1 :Text;
  headers @2 :List(HttpHeader);
  bodySize :union {
    unknown @3 :Void;
    fixed @4 :UInt64;
  }
}

struct HttpResponse {
  statusCode @0 :UInt16;
  statusText @1 :Text;
  headers @2 :List(HttpHeader);
  bodySize :union {
    unknown @3 :Void;
    fixed @4 :UInt64;
  }
}

enum HttpMethod {
  get @0; head @1; post @2; put @3; delete @4; patch @5; purge @6; options @7; trace @8;
  copy @9; lock @10; mkcol @11; move @12; propfind @13; proppatch @14; search @15; unlock @16;
  acl @17; report @18; mkactivity @19; checkout @20; merge @21; msearch @22; notify @23;
  subscribe @24; unsubscribe @25; query @26; ban @27;
}

# A header name the protocol sends as a number; pyworker spells each one by splitting the
# enumerant's camel case (acceptCharset: accept-charset), as header names are lower case here.
enum CommonHeaderName {
  invalid @0; acceptCharset @1; acceptEncoding @2; acceptLanguage @3; acceptRanges @4;
  accept @5; accessControlAllowOrigin @6; age @7; allow @8; authorization @9; cacheControl @10;
  contentDisposition @11; contentEncoding @12; contentLanguage @13; contentLength @14;
  contentLocation @15; contentRange @16; contentType @17; cookie @18; date @19; etag @20;
  expect @21; expires @22; from @23; host @24; ifMatch @25; ifModifiedSince @26;
  ifNoneMatch @27; ifRange @28; ifUnmodifiedSince @29; lastModified @30; link @31;
  location @32; maxForwards @33; proxyAuthenticate @34; proxyAuthorization @35; range @36;
  referer @37; refresh @38; retryAfter @39; server @40; setCookie @41;
  strictTransportSecurity @42; transferEncoding @43; userAgent @44; vary @45; via @46;
  wwwAuthenticate @47;
}

enum CommonHeaderValue {
  invalid @0;
  gzipDeflate @1;  # "gzip, deflate"
}

struct HttpHeader {
  union {
    common :group {
      name @0 :CommonHeaderName;
      union {
        commonValue @1 :CommonHeaderValue;
        value @2 :Text;
      }
    }
    uncommon @3 :NameValue;
  }
  struct NameValue {
    name @0 :Text;
    value @1 :Text;
  }
}
