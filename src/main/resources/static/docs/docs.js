// Swagger UI on the one contract. "Try it out" sends the key entered under "Authorize" as a Bearer header; the key
// is not persisted (persistAuthorization off) and never becomes part of a URL.
window.ui = SwaggerUIBundle({
  url: '/openapi.yaml',
  dom_id: '#swagger-ui',
  deepLinking: false,
  persistAuthorization: false,
  validatorUrl: null,
  tryItOutEnabled: false,
  // the contract's example server is http://localhost:8080; "Try it out" calls the service that serves this page
  requestInterceptor: request => {
    const example = 'http://localhost:8080';
    if (request.url.startsWith(example + '/')) request.url = window.location.origin + request.url.slice(example.length);
    return request;
  }
});
